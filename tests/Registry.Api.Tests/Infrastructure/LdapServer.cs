extern alias apphost;
using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using apphost::Registry.AppHost.Local;
using Registry.Api.Identity.Ldap;

namespace Registry.Api.Tests.Infrastructure;

/// <summary>A user of the test directory, with the password it binds with.</summary>
public sealed record LdapTestUser(string Uid, string Password, string Realname, string Email, string Dn);

/// <summary>
/// A real OpenLDAP server (Debian's <c>slapd</c>) on loopback ports of its own, with its
/// configuration (<c>slapd.conf</c>, mdb database, self-signed TLS certificate) in a temporary
/// directory, loaded with <c>slapadd</c> before the first start. Listens on <see cref="Url"/>
/// (plain) and <see cref="LdapsUrl"/> (TLS). Use it as a class fixture (<see cref="IAsyncLifetime"/>)
/// or with <c>await using</c>; <see cref="StopAsync"/> and <see cref="StartAsync"/> simulate an
/// outage on the same ports and data.
/// <para>The directory under <c>dc=example,dc=org</c>:</para>
/// <list type="bullet">
/// <item><c>ou=people</c>: alice, bob (with a displayName), carol (no mail), <c>o(neil)</c>
/// (parentheses in the uid), and <c>printer</c> (an <c>account</c>, not an inetOrgPerson);</item>
/// <item><c>ou=contractors,ou=people</c>: dave (only found by a subtree search; shares sn "Smith" with carol);</item>
/// <item><c>ou=partners</c>: eve (outside <see cref="PeopleDn"/>);</item>
/// <item><c>ou=bulk</c>: user000 to user119, without passwords (for result caps);</item>
/// <item><c>cn=reader</c>: the search bind user (<see cref="SearchDn"/>).</item>
/// </list>
/// The server accepts unauthenticated binds (<c>allow bind_anon_dn</c>: a DN with an empty
/// password binds as anonymous), as some production servers do, so tests can prove the client
/// never sends one as a login.
/// </summary>
public sealed class LdapServer : IAsyncLifetime, IAsyncDisposable
{
    public const int BulkUsers = 120;

    public static readonly LdapTestUser Alice = new("alice", "Alice-Pass1", "Alice Liddell", "alice@example.org", "uid=alice,ou=people,dc=example,dc=org");
    public static readonly LdapTestUser Bob = new("bob", "Bob-Pass1", "Bob the Builder", "bob@example.org", "uid=bob,ou=people,dc=example,dc=org");
    public static readonly LdapTestUser Carol = new("carol", "Carol-Pass1", "Carol Smith", "", "uid=carol,ou=people,dc=example,dc=org");
    public static readonly LdapTestUser ONeil = new("o(neil)", "ONeil-Pass1", "Shaquille O'Neil", "oneil@example.org", "uid=o(neil),ou=people,dc=example,dc=org");
    public static readonly LdapTestUser Printer = new("printer", "Printer-Pass1", "printer", "", "uid=printer,ou=people,dc=example,dc=org");
    public static readonly LdapTestUser Dave = new("dave", "Dave-Pass1", "Dave Smith", "dave@example.org", "uid=dave,ou=contractors,ou=people,dc=example,dc=org");
    public static readonly LdapTestUser Eve = new("eve", "Eve-Pass1", "Eve Outsider", "eve@example.org", "uid=eve,ou=partners,dc=example,dc=org");

    private readonly string _directory = Directory.CreateTempSubdirectory("registry-slapd-").FullName;
    private readonly Slapd _slapd;
    private bool _disposed;

    public LdapServer()
    {
        var ports = LoopbackPorts.Take(2);
        Port = ports[0];
        TlsPort = ports[1];
        _slapd = new Slapd(_directory, Port, TlsPort);
    }

    public int Port { get; }
    public int TlsPort { get; }

    /// <summary><c>ldap://127.0.0.1:port</c>.</summary>
    public string Url => $"ldap://127.0.0.1:{Port}";

    /// <summary><c>ldaps://127.0.0.1:port</c>, with a self-signed certificate (not trusted by the machine).</summary>
    public string LdapsUrl => $"ldaps://127.0.0.1:{TlsPort}";

    /// <summary>The suffix, <c>dc=example,dc=org</c>.</summary>
    public string BaseDn => "dc=example,dc=org";

    /// <summary><c>ou=people,dc=example,dc=org</c>, where the users are.</summary>
    public string PeopleDn => "ou=people," + BaseDn;

    public string SearchDn => "cn=reader," + BaseDn;
    public string SearchPassword => "Reader-Pass1";
    public string AdminDn => "cn=admin," + BaseDn;
    public string AdminPassword => "Admin-Pass1";

    public bool IsRunning => _slapd.IsRunning;

    /// <summary>What slapd printed lately (connection and operation log), for failure messages.</summary>
    public string RecentOutput => _slapd.RecentOutput;

    /// <summary>Settings for this server: search bind as <see cref="SearchDn"/>, base <see cref="PeopleDn"/>, uid "uid", subtree.</summary>
    public LdapSettings Settings(string? filter = null, string uid = "uid", int scope = 2, string? baseDn = null, int timeoutSeconds = 5) =>
        new(Url, SearchDn, SearchPassword, baseDn ?? PeopleDn, filter, uid, scope, timeoutSeconds, VerifyCert: false);

    /// <summary>Starts slapd (again) and waits until it answers.</summary>
    public Task StartAsync() => _slapd.StartAsync();

    /// <summary>Stops slapd; its ports refuse connections until <see cref="StartAsync"/>.</summary>
    public Task StopAsync() => _slapd.StopAsync(TimeSpan.FromSeconds(10));

    Task IAsyncLifetime.InitializeAsync() => StartAsync();

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _slapd.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The slapd process, on the shared launcher of the AppHost's local servers.</summary>
    private sealed class Slapd(string directory, int port, int tlsPort) : LocalServer("slapd", directory, port)
    {
        private string _slapd = "/usr/sbin/slapd";

        private string Config => Path.Combine(DataDirectory, "slapd.conf");

        public override string ConnectionString => $"ldap://127.0.0.1:{Port}";

        protected override async Task PrepareAsync(CancellationToken cancellationToken)
        {
            _slapd = Require("slapd", "apt-get install slapd ldap-utils", "/usr/sbin/slapd");
            if (File.Exists(Config)) return; // set up once; later starts reuse the data
            var slapadd = Require("slapadd", "apt-get install slapd ldap-utils", "/usr/sbin/slapadd");

            var db = Path.Combine(DataDirectory, "db");
            Directory.CreateDirectory(db);
            WriteCertificate();
            var config = Path.Combine(DataDirectory, "slapd.conf.new");
            await File.WriteAllTextAsync(config, ConfigText(db), cancellationToken);
            var data = Path.Combine(DataDirectory, "data.ldif");
            await File.WriteAllTextAsync(data, DataLdif(), cancellationToken);
            await RunAsync(new ProcessStartInfo(slapadd) { ArgumentList = { "-q", "-f", config, "-l", data } }, cancellationToken);
            File.Move(config, Config);
        }

        protected override ProcessStartInfo StartInfo() => new(_slapd)
        {
            // -d keeps slapd in the foreground; "stats" logs connections and operations.
            ArgumentList = { "-h", $"ldap://127.0.0.1:{Port}/ ldaps://127.0.0.1:{tlsPort}/", "-f", Config, "-d", "stats" },
        };

        private string ConfigText(string db) => $"""
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            pidfile {DataDirectory}/slapd.pid
            argsfile {DataDirectory}/slapd.args
            modulepath /usr/lib/ldap
            moduleload back_mdb
            allow bind_anon_dn
            TLSCertificateFile {DataDirectory}/server.crt
            TLSCertificateKeyFile {DataDirectory}/server.key

            database mdb
            maxsize 67108864
            suffix "dc=example,dc=org"
            rootdn "cn=admin,dc=example,dc=org"
            rootpw Admin-Pass1
            directory {db}
            access to attrs=userPassword
              by self write
              by anonymous auth
              by * none
            access to *
              by * read

            """;

        private void WriteCertificate()
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            File.WriteAllText(Path.Combine(DataDirectory, "server.crt"), certificate.ExportCertificatePem());
            File.WriteAllText(Path.Combine(DataDirectory, "server.key"), key.ExportPkcs8PrivateKeyPem());
        }

        private static string DataLdif()
        {
            var ldif = new StringBuilder();
            void Entry(string dn, params string[] lines)
            {
                ldif.Append("dn: ").Append(dn).Append('\n');
                foreach (var line in lines) ldif.Append(line).Append('\n');
                ldif.Append('\n');
            }

            void Person(LdapTestUser user, string sn, string? displayName = null, string? cn = null)
            {
                var lines = new List<string> { "objectClass: inetOrgPerson", $"uid: {user.Uid}", $"cn: {cn ?? user.Realname}", $"sn: {sn}" };
                if (displayName is not null) lines.Add($"displayName: {displayName}");
                if (user.Email.Length > 0) lines.Add($"mail: {user.Email}");
                lines.Add($"userPassword: {Ssha(user.Password)}");
                Entry(user.Dn, [.. lines]);
            }

            Entry("dc=example,dc=org", "objectClass: dcObject", "objectClass: organization", "dc: example", "o: Example");
            Entry("cn=reader,dc=example,dc=org", "objectClass: organizationalRole", "objectClass: simpleSecurityObject", "cn: reader",
                $"userPassword: {Ssha("Reader-Pass1")}");
            Entry("ou=people,dc=example,dc=org", "objectClass: organizationalUnit", "ou: people");
            Person(Alice, "Liddell");
            Person(Bob, "Builder", displayName: Bob.Realname, cn: "Robert Builder");
            Person(Carol, "Smith");
            Person(ONeil, "O'Neil");
            Entry(Printer.Dn, "objectClass: account", "objectClass: simpleSecurityObject", "uid: printer", $"userPassword: {Ssha(Printer.Password)}");
            Entry("ou=contractors,ou=people,dc=example,dc=org", "objectClass: organizationalUnit", "ou: contractors");
            Person(Dave, "Smith");
            Entry("ou=partners,dc=example,dc=org", "objectClass: organizationalUnit", "ou: partners");
            Person(Eve, "Outsider");
            Entry("ou=bulk,dc=example,dc=org", "objectClass: organizationalUnit", "ou: bulk");
            for (var i = 0; i < BulkUsers; i++)
            {
                Entry($"uid=user{i:000},ou=bulk,dc=example,dc=org", "objectClass: inetOrgPerson", $"uid: user{i:000}", $"cn: User {i}", "sn: Bulk");
            }

            return ldif.ToString();
        }

        /// <summary>A salted SHA-1 password as slapd stores them ({SSHA}).</summary>
        private static string Ssha(string password)
        {
            var salt = RandomNumberGenerator.GetBytes(8);
            var hash = SHA1.HashData([.. Encoding.UTF8.GetBytes(password), .. salt]);
            return "{SSHA}" + Convert.ToBase64String([.. hash, .. salt]);
        }
    }
}

/// <summary>
/// Free loopback ports below Linux's ephemeral range (32768-60999), never handed out twice in
/// this test run: a port the kernel picked could be taken by another process's outgoing
/// connection before the server binds it.
/// </summary>
public static class LoopbackPorts
{
    private static readonly HashSet<int> HandedOut = [];

    public static int[] Take(int count)
    {
        var ports = new int[count];
        for (var i = 0; i < count; i++) ports[i] = TakeOne();
        return ports;
    }

    private static int TakeOne()
    {
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var port = Random.Shared.Next(20000, 32000);
            lock (HandedOut)
            {
                if (HandedOut.Contains(port) || !IsFree(port)) continue;
                HandedOut.Add(port);
                return port;
            }
        }

        throw new InvalidOperationException("no free loopback port found");
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
