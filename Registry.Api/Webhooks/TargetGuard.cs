using System.Net;
using System.Net.Sockets;

namespace Registry.Api.Webhooks;

/// <summary>
/// Keeps webhooks from being a way into the registry's own network (SSRF): a target whose host is,
/// or resolves to, a loopback, private, link-local (cloud metadata included), CGNAT, unspecified,
/// multicast or reserved address is refused, unless the administrator allowlisted it in
/// <c>webhook_allowed_targets</c> (host names and CIDRs, comma-separated). Checked when a policy is
/// saved and again at send time, where the connection goes to the very address that was checked
/// (see <see cref="WebhookSender"/>), so a DNS answer that changes in between gains nothing.
/// </summary>
public static class TargetGuard
{
    private static readonly (IPAddress Network, int Prefix)[] Blocked =
    [
        (IPAddress.Parse("0.0.0.0"), 8), (IPAddress.Parse("10.0.0.0"), 8), (IPAddress.Parse("100.64.0.0"), 10),
        (IPAddress.Parse("127.0.0.0"), 8), (IPAddress.Parse("169.254.0.0"), 16), (IPAddress.Parse("172.16.0.0"), 12),
        (IPAddress.Parse("192.0.0.0"), 24), (IPAddress.Parse("192.168.0.0"), 16), (IPAddress.Parse("198.18.0.0"), 15),
        (IPAddress.Parse("224.0.0.0"), 4), (IPAddress.Parse("240.0.0.0"), 4),
        (IPAddress.Parse("::"), 128), (IPAddress.Parse("::1"), 128), (IPAddress.Parse("fc00::"), 7), (IPAddress.Parse("fe80::"), 10),
        (IPAddress.Parse("ff00::"), 8), (IPAddress.Parse("64:ff9b::"), 96), (IPAddress.Parse("2001:db8::"), 32),
    ];

    /// <summary>The allowlist as parsed from the setting: host names (lower case) and networks.</summary>
    public sealed record Allowlist(IReadOnlySet<string> Hosts, IReadOnlyList<(IPAddress Network, int Prefix)> Networks)
    {
        public static readonly Allowlist Empty = new(new HashSet<string>(), []);

        public bool AllowsHost(string host) => Hosts.Contains(host.TrimEnd('.').ToLowerInvariant());

        public bool AllowsAddress(IPAddress address) => Networks.Any(n => InNetwork(Normalize(address), n.Network, n.Prefix));
    }

    /// <summary>Parses <c>webhook_allowed_targets</c>; null with <paramref name="error"/> when an entry is neither a host nor a CIDR.</summary>
    public static Allowlist? ParseAllowlist(string? value, out string? error)
    {
        error = null;
        var hosts = new HashSet<string>(StringComparer.Ordinal);
        var networks = new List<(IPAddress, int)>();
        foreach (var raw in (value ?? "").Split([',', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw.Contains('/'))
            {
                if (!IPNetwork.TryParse(raw, out var network)) { error = $"'{raw}' is not a CIDR"; return null; }
                networks.Add((network.BaseAddress, network.PrefixLength));
            }
            else if (IPAddress.TryParse(raw.Trim('[', ']'), out var ip))
            {
                var a = Normalize(ip);
                networks.Add((a, a.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else if (Uri.CheckHostName(raw) == UriHostNameType.Dns)
            {
                hosts.Add(raw.TrimEnd('.').ToLowerInvariant());
            }
            else
            {
                error = $"'{raw}' is neither a host name nor a CIDR";
                return null;
            }
        }
        return new Allowlist(hosts, networks);
    }

    /// <summary>Whether an address is in a range webhooks may not reach.</summary>
    public static bool IsBlocked(IPAddress address)
    {
        var a = Normalize(address);
        return Blocked.Any(b => b.Network.AddressFamily == a.AddressFamily && InNetwork(a, b.Network, b.Prefix));
    }

    /// <summary>
    /// The addresses of <paramref name="host"/> a webhook may connect to: all of them when the host
    /// is allowlisted, else those allowlisted or outside the blocked ranges. Throws
    /// <see cref="TargetRefusedException"/> when none is left.
    /// </summary>
    public static async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, Allowlist allowlist, CancellationToken cancellationToken)
    {
        var bare = host.Trim('[', ']');
        IPAddress[] addresses;
        if (IPAddress.TryParse(bare, out var literal)) addresses = [literal];
        else
        {
            try { addresses = await Dns.GetHostAddressesAsync(bare, cancellationToken); }
            catch (SocketException e) { throw new TargetRefusedException($"cannot resolve {host}: {e.SocketErrorCode}", blocked: false); }
        }
        if (allowlist.AllowsHost(bare)) return addresses;
        var usable = addresses.Where(a => allowlist.AllowsAddress(a) || !IsBlocked(a)).ToList();
        if (usable.Count == 0)
        {
            throw new TargetRefusedException(
                $"target {host} resolves to {string.Join(", ", addresses.Select(a => a.ToString()))}, a loopback, private, link-local or otherwise internal address; an administrator can allow it in webhook_allowed_targets",
                blocked: true);
        }
        return usable;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static bool InNetwork(IPAddress address, IPAddress network, int prefix)
    {
        if (address.AddressFamily != network.AddressFamily) return false;
        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        var full = prefix / 8;
        for (var i = 0; i < full; i++) if (a[i] != n[i]) return false;
        var rest = prefix % 8;
        if (rest == 0) return true;
        var mask = (byte)(0xFF << (8 - rest));
        return (a[full] & mask) == (n[full] & mask);
    }
}

/// <summary>A webhook target the guard refused (<see cref="Blocked"/>) or could not resolve.</summary>
public sealed class TargetRefusedException(string message, bool blocked) : Exception(message)
{
    public bool Blocked { get; } = blocked;
}
