using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Registry.Api.Identity.Ldap;

/// <summary>Where an <c>ldap_url</c> points.</summary>
internal sealed record LdapEndpoint(string Host, int Port, bool Secure)
{
    public override string ToString() => $"{(Secure ? "ldaps" : "ldap")}://{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}";

    /// <summary>
    /// Parses <c>ldap://host[:port][/...]</c>, <c>ldaps://host[:port][/...]</c> or a bare
    /// <c>host[:port]</c> (plain LDAP); IPv6 hosts in brackets. Throws <see cref="LdapUnavailableException"/>.
    /// </summary>
    public static LdapEndpoint Parse(string? url)
    {
        var text = url?.Trim() ?? "";
        if (text.Length == 0) throw new LdapUnavailableException("ldap_url is empty");

        var secure = false;
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            var scheme = text[..schemeEnd].ToLowerInvariant();
            secure = scheme switch
            {
                "ldap" => false,
                "ldaps" => true,
                _ => throw new LdapUnavailableException($"ldap_url has an unsupported scheme '{scheme}' (use ldap:// or ldaps://)"),
            };
            text = text[(schemeEnd + 3)..];
        }

        var slash = text.IndexOf('/');
        if (slash >= 0) text = text[..slash];

        string host;
        string? portText = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0) throw new LdapUnavailableException("ldap_url has an unterminated IPv6 address");
            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':') throw new LdapUnavailableException("ldap_url is not a valid address");
                portText = rest[1..];
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            host = colon >= 0 ? text[..colon] : text;
            portText = colon >= 0 ? text[(colon + 1)..] : null;
            if (host.Contains(':')) throw new LdapUnavailableException("ldap_url: put an IPv6 address in brackets");
        }

        if (host.Length == 0) throw new LdapUnavailableException("ldap_url has no host");
        var port = secure ? 636 : 389;
        if (!string.IsNullOrEmpty(portText) && (!int.TryParse(portText, out port) || port is < 1 or > 65535))
        {
            throw new LdapUnavailableException($"ldap_url has an invalid port '{portText}'");
        }

        return new LdapEndpoint(host, port, secure);
    }
}

/// <summary>The LDAPResult of a response (RFC 4511 section 4.1.9).</summary>
internal readonly record struct LdapResult(int Code, string MatchedDn, string Diagnostic)
{
    public const int Success = 0;
    public const int SizeLimitExceeded = 4;
    public const int NoSuchObject = 32;
    public const int InvalidCredentials = 49;

    public bool IsSuccess => Code == Success;

    /// <summary>The result's name, and the server's own message when it gave one.</summary>
    public string Describe()
    {
        var name = Code switch
        {
            0 => "success",
            1 => "operations error",
            2 => "protocol error",
            3 => "time limit exceeded",
            4 => "size limit exceeded",
            7 => "authentication method not supported",
            8 => "stronger authentication required",
            19 => "constraint violation",
            32 => "no such object",
            34 => "invalid DN syntax",
            48 => "inappropriate authentication",
            49 => "invalid credentials",
            50 => "insufficient access rights",
            51 => "server busy",
            52 => "server unavailable",
            53 => "server unwilling to perform",
            80 => "other error",
            _ => "result code " + Code,
        };
        var diagnostic = Diagnostic.Trim();
        return diagnostic.Length == 0 ? name : $"{name} ({Truncate(diagnostic, 200)})";
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "...";
}

/// <summary>An entry of a search result; attribute names compare case-insensitively.</summary>
internal sealed record LdapEntry(string Dn, IReadOnlyDictionary<string, List<string>> Attributes)
{
    public IReadOnlyList<string> Values(string attribute) =>
        Attributes.TryGetValue(attribute, out var values) ? values : [];

    public string? First(string attribute) => Values(attribute).FirstOrDefault(v => v.Length > 0);
}

/// <summary>
/// One LDAPv3 connection (RFC 4511) over TCP or TLS: simple binds and searches, the only
/// operations Harbor's LDAP mode needs. Every step is bounded by the connection timeout (and
/// the caller's token); a timed-out, refused or broken connection raises
/// <see cref="LdapUnavailableException"/> and must not be used again.
/// </summary>
internal sealed class LdapConnection : IAsyncDisposable
{
    private const int MaxMessageBytes = 16 * 1024 * 1024;
    private const byte BindRequest = 0x60, BindResponse = 0x61, UnbindRequest = 0x42, SearchRequest = 0x63,
        SearchResultEntry = 0x64, SearchResultDone = 0x65, SearchResultReference = 0x73, ExtendedResponse = 0x78;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly LdapEndpoint _endpoint;
    private readonly TimeSpan _timeout;
    private int _lastMessageId;
    private bool _broken;

    private LdapConnection(Socket socket, Stream stream, LdapEndpoint endpoint, TimeSpan timeout)
    {
        _socket = socket;
        _stream = stream;
        _endpoint = endpoint;
        _timeout = timeout;
    }

    public static async Task<LdapConnection> OpenAsync(LdapEndpoint endpoint, bool verifyCertificate, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, deadline.Token);
            stream = new NetworkStream(socket, ownsSocket: false);
            if (endpoint.Secure)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = endpoint.Host,
                    RemoteCertificateValidationCallback = verifyCertificate ? null : (_, _, _, _) => true,
                }, deadline.Token);
            }

            return new LdapConnection(socket, stream, endpoint, timeout);
        }
        catch (Exception ex)
        {
            if (stream is not null) await stream.DisposeAsync();
            socket.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            throw ex switch
            {
                OperationCanceledException => new LdapUnavailableException($"cannot connect to {endpoint}: no connection within {Seconds(timeout)}"),
                SocketException socketError => new LdapUnavailableException($"cannot connect to {endpoint}: {Describe(socketError)}", ex),
                AuthenticationException => new LdapUnavailableException(
                    $"TLS handshake with {endpoint} failed{(verifyCertificate ? ": the server certificate is not trusted or does not match the host (or set ldap_verify_cert to false)" : "")}", ex),
                IOException => new LdapUnavailableException($"cannot connect to {endpoint}: the connection was closed during setup", ex),
                _ => ex,
            };
        }
    }

    /// <summary>A simple bind. Use an empty DN and password for an anonymous bind.</summary>
    public async Task<LdapResult> BindAsync(string dn, string password, CancellationToken cancellationToken)
    {
        var id = NextMessageId();
        var request = new BerWriter()
            .Begin(BerWriter.Sequence).Int(id)
            .Begin(BindRequest).Int(3).String(dn).String(0x80, password).End()
            .End().ToArray();
        return await ExchangeAsync(request, id, cancellationToken, (tag, content) =>
        {
            if (tag != BindResponse) throw new BerException($"expected a BindResponse, got tag 0x{tag:X2}");
            return (true, ReadResult(content));
        });
    }

    /// <summary>A search; a size limit hit (result 4) still returns the entries received.</summary>
    public async Task<(LdapResult Result, List<LdapEntry> Entries)> SearchAsync(
        string baseDn, int scope, string filter, int sizeLimit, IReadOnlyList<string> attributes, CancellationToken cancellationToken)
    {
        var id = NextMessageId();
        var writer = new BerWriter()
            .Begin(BerWriter.Sequence).Int(id)
            .Begin(SearchRequest)
            .String(baseDn)
            .Int(scope, BerWriter.Enumerated)
            .Int(0, BerWriter.Enumerated) // neverDerefAliases
            .Int(sizeLimit)
            .Int((long)Math.Ceiling(_timeout.TotalSeconds))
            .Bool(false);
        LdapFilter.Write(writer, filter);
        writer.Begin(BerWriter.Sequence);
        foreach (var attribute in attributes) writer.String(attribute);
        var request = writer.End().End().End().ToArray();

        var entries = new List<LdapEntry>();
        var result = await ExchangeAsync(request, id, cancellationToken, (tag, content) =>
        {
            switch (tag)
            {
                case SearchResultEntry:
                    entries.Add(ReadEntry(content));
                    return (false, default);
                case SearchResultReference:
                    return (false, default); // referrals are not followed
                case SearchResultDone:
                    return (true, ReadResult(content));
                default:
                    throw new BerException($"unexpected answer to a search: tag 0x{tag:X2}");
            }
        });
        return (result, entries);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_broken)
        {
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                var unbind = new BerWriter().Begin(BerWriter.Sequence).Int(NextMessageId()).Bytes(UnbindRequest, []).End().ToArray();
                await _stream.WriteAsync(unbind, quick.Token);
                await _stream.FlushAsync(quick.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The connection is being closed anyway.
            }
        }

        await _stream.DisposeAsync();
        _socket.Dispose();
    }

    private int NextMessageId() => ++_lastMessageId;

    /// <summary>
    /// Sends a request and hands each answer to <paramref name="handle"/>
    /// until it says the exchange is done; the whole exchange is bounded by the timeout.
    /// </summary>
    private async Task<LdapResult> ExchangeAsync(
        byte[] request, int messageId, CancellationToken cancellationToken,
        Func<byte, ReadOnlyMemory<byte>, (bool Done, LdapResult Result)> handle)
    {
        if (_broken) throw new LdapUnavailableException($"the connection to {_endpoint} is no longer usable");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout);
        try
        {
            await _stream.WriteAsync(request, deadline.Token);
            await _stream.FlushAsync(deadline.Token);
            while (true)
            {
                var message = await ReadMessageAsync(deadline.Token);
                var reader = new BerReader(message);
                var id = (int)reader.ReadInt();
                var (tag, content) = reader.Read();
                if (id == 0 && tag == ExtendedResponse)
                {
                    // Notice of Disconnection (RFC 4511 section 4.4.1).
                    var notice = ReadResult(content);
                    throw new LdapUnavailableException($"{_endpoint} closed the connection: {notice.Describe()}");
                }

                if (id != messageId) continue;
                var (done, result) = handle(tag, content);
                if (done) return result;
            }
        }
        catch (Exception ex)
        {
            _broken = true;
            cancellationToken.ThrowIfCancellationRequested();
            throw ex switch
            {
                OperationCanceledException => new LdapUnavailableException($"{_endpoint} did not answer within {Seconds(_timeout)}"),
                EndOfStreamException => new LdapUnavailableException($"{_endpoint} closed the connection", ex),
                IOException or SocketException => new LdapUnavailableException($"the connection to {_endpoint} failed", ex),
                BerException => new LdapUnavailableException($"{_endpoint} sent a malformed answer: {ex.Message}", ex),
                _ => ex,
            };
        }
    }

    /// <summary>Reads one LDAPMessage and returns the content of its outer SEQUENCE.</summary>
    private async Task<ReadOnlyMemory<byte>> ReadMessageAsync(CancellationToken cancellationToken)
    {
        var header = new byte[6];
        await _stream.ReadExactlyAsync(header.AsMemory(0, 2), cancellationToken);
        if (header[0] != BerWriter.Sequence) throw new BerException($"an LDAP message starts with a SEQUENCE, got tag 0x{header[0]:X2}");
        int length = header[1];
        if (length >= 0x80)
        {
            var count = length & 0x7F;
            if (count is 0 or > 4) throw new BerException("unsupported BER length form");
            await _stream.ReadExactlyAsync(header.AsMemory(2, count), cancellationToken);
            length = 0;
            for (var i = 0; i < count; i++) length = (length << 8) | header[2 + i];
        }

        if (length is < 0 or > MaxMessageBytes) throw new BerException("LDAP message too large");
        var content = new byte[length];
        await _stream.ReadExactlyAsync(content, cancellationToken);
        return content;
    }

    private static LdapResult ReadResult(ReadOnlyMemory<byte> content)
    {
        var reader = new BerReader(content);
        var code = (int)reader.ReadInt(BerWriter.Enumerated);
        var matched = reader.ReadString();
        var diagnostic = reader.ReadString();
        return new LdapResult(code, matched, diagnostic);
    }

    private static LdapEntry ReadEntry(ReadOnlyMemory<byte> content)
    {
        var reader = new BerReader(content);
        var dn = reader.ReadString();
        var attributes = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        var list = reader.Enter(BerWriter.Sequence);
        while (list.HasMore)
        {
            var attribute = list.Enter(BerWriter.Sequence);
            var type = attribute.ReadString();
            var values = attribute.Enter(BerWriter.Set);
            if (!attributes.TryGetValue(type, out var collected)) attributes[type] = collected = [];
            while (values.HasMore) collected.Add(values.ReadString());
        }

        return new LdapEntry(dn, attributes);
    }

    private static string Seconds(TimeSpan timeout) => $"{timeout.TotalSeconds:0.#} s";

    private static string Describe(SocketException error) => error.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "host unreachable",
        SocketError.TimedOut => "connection timed out",
        SocketError.ConnectionReset => "connection reset",
        _ => error.SocketErrorCode.ToString(),
    };
}
