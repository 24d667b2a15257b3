using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Registry.Api.Identity.Ldap;
using Registry.Api.Tests.Infrastructure;

namespace Registry.Api.Tests;

/// <summary>
/// <see cref="LdapDirectory"/> against a real slapd (<see cref="LdapServer"/>): ping, search,
/// login, filter escaping, scopes, TLS, timeouts and outages.
/// </summary>
public sealed class LdapDirectoryTests(LdapServer ldap) : IClassFixture<LdapServer>
{
    private readonly LdapDirectory _directory = new();
    private static CancellationToken Ct => CancellationToken.None;

    // ---- ping ---------------------------------------------------------------------------

    [Fact]
    public async Task Ping_binds_with_the_search_dn()
    {
        var (ok, message) = await _directory.PingAsync(ldap.Settings(), Ct);
        Assert.True(ok, message + "\n" + ldap.RecentOutput);
        Assert.Equal("", message);
    }

    [Fact]
    public async Task Ping_binds_anonymously_without_a_search_dn()
    {
        var (ok, message) = await _directory.PingAsync(ldap.Settings() with { SearchDn = "", SearchPassword = null }, Ct);
        Assert.True(ok, message);
    }

    [Fact]
    public async Task Ping_accepts_a_bare_host_and_port()
    {
        var (ok, message) = await _directory.PingAsync(ldap.Settings() with { Url = $"127.0.0.1:{ldap.Port}" }, Ct);
        Assert.True(ok, message);
    }

    [Fact]
    public async Task Ping_with_a_wrong_search_password_says_so_without_the_password()
    {
        const string wrong = "Not-The-Reader-Pass";
        var (ok, message) = await _directory.PingAsync(ldap.Settings() with { SearchPassword = wrong }, Ct);
        Assert.False(ok);
        Assert.Contains("invalid credentials", message);
        Assert.DoesNotContain(wrong, message);
        Assert.DoesNotContain(" at ", message); // no stack trace
    }

    [Fact]
    public async Task Ping_with_a_search_dn_but_no_password_is_refused_before_binding()
    {
        // The server accepts it (bind_anon_dn) as an anonymous bind: it would look like a working setup.
        var (ok, message) = await _directory.PingAsync(ldap.Settings() with { SearchPassword = "" }, Ct);
        Assert.False(ok);
        Assert.Contains("ldap_search_password is empty", message);
    }

    [Fact]
    public async Task Ping_of_a_closed_port_fails_at_once_with_a_message()
    {
        var closed = LoopbackPorts.Take(1)[0];
        var clock = Stopwatch.StartNew();
        var (ok, message) = await _directory.PingAsync(ldap.Settings() with { Url = $"ldap://127.0.0.1:{closed}" }, Ct);
        Assert.False(ok);
        Assert.Equal($"cannot connect to ldap://127.0.0.1:{closed}: connection refused", message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
    }

    [Fact]
    public async Task Ping_of_a_server_that_never_answers_gives_up_after_the_timeout()
    {
        // Accepts TCP connections (the kernel's backlog) and never says a word.
        using var silent = new TcpListener(IPAddress.Loopback, LoopbackPorts.Take(1)[0]);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var clock = Stopwatch.StartNew();
        var (ok, message) = await _directory.PingAsync(ldap.Settings(timeoutSeconds: 1) with { Url = $"ldap://127.0.0.1:{port}" }, Ct);
        Assert.False(ok);
        Assert.Equal($"ldap://127.0.0.1:{port} did not answer within 1 s", message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));

        var login = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<LdapUnavailableException>(() =>
            _directory.AuthenticateAsync(ldap.Settings(timeoutSeconds: 1) with { Url = $"127.0.0.1:{port}" }, "alice", "Alice-Pass1", Ct));
        Assert.Contains("did not answer within 1 s", error.Message);
        Assert.True(login.Elapsed < TimeSpan.FromSeconds(4), login.Elapsed.ToString());
    }

    [Fact]
    public async Task Ping_of_a_tls_handshake_that_never_completes_gives_up_after_the_timeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, LoopbackPorts.Take(1)[0]);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var clock = Stopwatch.StartNew();
        var (ok, message) = await _directory.PingAsync(ldap.Settings(timeoutSeconds: 1) with { Url = $"ldaps://127.0.0.1:{port}" }, Ct);
        Assert.False(ok);
        Assert.Equal($"cannot connect to ldaps://127.0.0.1:{port}: no connection within 1 s", message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), clock.Elapsed.ToString());
    }

    [Theory]
    [InlineData("http://127.0.0.1:389", "unsupported scheme 'http'")]
    [InlineData("", "ldap_url is empty")]
    [InlineData("ldap://127.0.0.1:99999", "invalid port")]
    public async Task Ping_rejects_bad_urls(string url, string expected)
    {
        var (ok, message) = await _directory.PingAsync(ldap.Settings() with { Url = url }, Ct);
        Assert.False(ok);
        Assert.Contains(expected, message);
    }

    [Fact]
    public async Task Ldaps_works_when_certificates_are_not_verified_and_fails_when_they_are()
    {
        var settings = ldap.Settings() with { Url = ldap.LdapsUrl, VerifyCert = false };
        var (ok, message) = await _directory.PingAsync(settings, Ct);
        Assert.True(ok, message + "\n" + ldap.RecentOutput);
        Assert.Equal(LdapServer.Alice.Dn, (await _directory.AuthenticateAsync(settings, "alice", LdapServer.Alice.Password, Ct))?.Dn);

        // The certificate is self-signed: not trusted.
        (ok, message) = await _directory.PingAsync(settings with { VerifyCert = true }, Ct);
        Assert.False(ok);
        Assert.Contains("TLS handshake", message);
        Assert.Contains("certificate", message);
        await Assert.ThrowsAsync<LdapUnavailableException>(() =>
            _directory.AuthenticateAsync(settings with { VerifyCert = true }, "alice", LdapServer.Alice.Password, Ct));
    }

    // ---- search -------------------------------------------------------------------------

    [Fact]
    public async Task Search_by_uid_maps_realname_email_and_dn()
    {
        var users = await _directory.SearchAsync(ldap.Settings(), "alice", Ct);
        var alice = Assert.Single(users);
        Assert.Equal(new LdapUser("alice", "Alice Liddell", "alice@example.org", LdapServer.Alice.Dn), alice);
    }

    [Fact]
    public async Task Realname_prefers_display_name_and_email_may_be_empty()
    {
        var bob = Assert.Single(await _directory.SearchAsync(ldap.Settings(), "bob", Ct));
        Assert.Equal("Bob the Builder", bob.Realname); // displayName over cn "Robert Builder"
        var carol = Assert.Single(await _directory.SearchAsync(ldap.Settings(), "carol", Ct));
        Assert.Equal("Carol Smith", carol.Realname);
        Assert.Equal("", carol.Email);
    }

    [Fact]
    public async Task Search_matches_the_uid_ignoring_case_and_returns_the_directory_spelling()
    {
        var alice = Assert.Single(await _directory.SearchAsync(ldap.Settings(), "ALICE", Ct));
        Assert.Equal("alice", alice.Username);
    }

    [Fact]
    public async Task Search_of_an_unknown_user_is_empty()
    {
        Assert.Empty(await _directory.SearchAsync(ldap.Settings(), "nobody", Ct));
        Assert.Empty(await _directory.SearchAsync(ldap.Settings(), "eve", Ct)); // outside the base DN
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("*")]
    public async Task Search_all_lists_the_users_under_the_base(string? username)
    {
        var users = await _directory.SearchAsync(ldap.Settings(), username, Ct);
        Assert.Equal(["alice", "bob", "carol", "dave", "o(neil)", "printer"], users.Select(u => u.Username).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Search_all_is_capped_at_100()
    {
        var users = await _directory.SearchAsync(ldap.Settings(baseDn: "ou=bulk," + ldap.BaseDn), "*", Ct);
        Assert.True(LdapServer.BulkUsers > 100);
        Assert.Equal(100, users.Count);
        Assert.Equal(100, users.Select(u => u.Username).Distinct().Count());
    }

    [Theory]
    [InlineData("(objectClass=inetOrgPerson)")]
    [InlineData("objectClass=inetOrgPerson")]
    [InlineData("  (&(objectClass=person)(!(uid=printer)))  ")]
    public async Task Search_applies_the_configured_filter_with_or_without_parentheses(string filter)
    {
        var users = await _directory.SearchAsync(ldap.Settings(filter: filter), "", Ct);
        Assert.Equal(["alice", "bob", "carol", "dave", "o(neil)"], users.Select(u => u.Username).Order(StringComparer.Ordinal));
        Assert.Empty(await _directory.SearchAsync(ldap.Settings(filter: filter), "printer", Ct));
        Assert.Single(await _directory.SearchAsync(ldap.Settings(filter: filter), "alice", Ct));
    }

    [Fact]
    public async Task Search_with_a_filter_that_matches_nobody_is_empty()
    {
        Assert.Empty(await _directory.SearchAsync(ldap.Settings(filter: "(mail=*@nowhere.example)"), "", Ct));
        Assert.Equal(["alice", "bob", "dave"],
            (await _directory.SearchAsync(ldap.Settings(filter: "(&(|(mail=alice*)(mail=bob@example.org)(sn=Smith))(mail=*))"), "", Ct))
            .Select(u => u.Username).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_invalid_filter_is_reported()
    {
        var error = await Assert.ThrowsAsync<LdapUnavailableException>(() => _directory.SearchAsync(ldap.Settings(filter: "(uid=alice"), "", Ct));
        Assert.Contains("ldap_filter is not valid", error.Message);
    }

    [Fact]
    public async Task One_level_scope_skips_nested_units_and_subtree_includes_them()
    {
        var oneLevel = await _directory.SearchAsync(ldap.Settings(scope: 1), "", Ct);
        Assert.DoesNotContain(oneLevel, u => u.Username == "dave");
        Assert.Contains(oneLevel, u => u.Username == "alice");
        Assert.Empty(await _directory.SearchAsync(ldap.Settings(scope: 1), "dave", Ct));

        var subtree = await _directory.SearchAsync(ldap.Settings(scope: 2), "dave", Ct);
        Assert.Equal(LdapServer.Dave.Dn, Assert.Single(subtree).Dn);
        Assert.Null(await _directory.AuthenticateAsync(ldap.Settings(scope: 1), "dave", LdapServer.Dave.Password, Ct));
        Assert.NotNull(await _directory.AuthenticateAsync(ldap.Settings(scope: 2), "dave", LdapServer.Dave.Password, Ct));
    }

    [Fact]
    public async Task Base_scope_only_looks_at_the_base_entry()
    {
        var alice = Assert.Single(await _directory.SearchAsync(ldap.Settings(scope: 0, baseDn: LdapServer.Alice.Dn), "", Ct));
        Assert.Equal("alice", alice.Username);
        Assert.Empty(await _directory.SearchAsync(ldap.Settings(scope: 0), "", Ct)); // ou=people itself has no uid
    }

    [Fact]
    public async Task Invalid_scope_uid_or_base_are_reported()
    {
        Assert.Contains("ldap_scope", (await Assert.ThrowsAsync<LdapUnavailableException>(() =>
            _directory.SearchAsync(ldap.Settings(scope: 3), "alice", Ct))).Message);
        Assert.Contains("ldap_uid", (await Assert.ThrowsAsync<LdapUnavailableException>(() =>
            _directory.SearchAsync(ldap.Settings(uid: "uid)(cn=*"), "alice", Ct))).Message);
        Assert.Contains("does not exist", (await Assert.ThrowsAsync<LdapUnavailableException>(() =>
            _directory.SearchAsync(ldap.Settings(baseDn: "ou=nowhere," + ldap.BaseDn), "alice", Ct))).Message);
    }

    [Fact]
    public async Task Search_with_a_wrong_search_password_throws()
    {
        var error = await Assert.ThrowsAsync<LdapUnavailableException>(() =>
            _directory.SearchAsync(ldap.Settings() with { SearchPassword = "wrong" }, "alice", Ct));
        Assert.Contains("invalid credentials", error.Message);
    }

    // ---- authenticate -------------------------------------------------------------------

    [Fact]
    public async Task Authenticate_with_the_right_password_returns_the_user()
    {
        var user = await _directory.AuthenticateAsync(ldap.Settings(), "alice", LdapServer.Alice.Password, Ct);
        Assert.Equal(new LdapUser("alice", "Alice Liddell", "alice@example.org", LdapServer.Alice.Dn), user);
        Assert.Equal("alice", (await _directory.AuthenticateAsync(ldap.Settings(), "Alice", LdapServer.Alice.Password, Ct))?.Username);
    }

    [Fact]
    public async Task Authenticate_with_an_anonymous_search_bind()
    {
        var settings = ldap.Settings() with { SearchDn = null, SearchPassword = null };
        Assert.NotNull(await _directory.AuthenticateAsync(settings, "bob", LdapServer.Bob.Password, Ct));
        Assert.Null(await _directory.AuthenticateAsync(settings, "bob", LdapServer.Alice.Password, Ct));
    }

    [Fact]
    public async Task Authenticate_with_a_wrong_password_is_null()
    {
        Assert.Null(await _directory.AuthenticateAsync(ldap.Settings(), "alice", "Alice-Pass2", Ct));
        Assert.Null(await _directory.AuthenticateAsync(ldap.Settings(), "alice", LdapServer.Bob.Password, Ct));
        Assert.Null(await _directory.AuthenticateAsync(ldap.Settings(), "alice", "alice-pass1", Ct));
    }

    [Fact]
    public async Task Authenticate_with_an_empty_password_is_null_although_the_server_would_accept_the_bind()
    {
        // The server really does accept a DN with an empty password (an unauthenticated bind)...
        await using (var raw = await LdapConnection.OpenAsync(LdapEndpoint.Parse(ldap.Url), false, TimeSpan.FromSeconds(5), Ct))
        {
            Assert.True((await raw.BindAsync(LdapServer.Alice.Dn, "", Ct)).IsSuccess);
        }

        // ... which must never be a login.
        Assert.Null(await _directory.AuthenticateAsync(ldap.Settings(), "alice", "", Ct));
        Assert.Null(await _directory.AuthenticateAsync(ldap.Settings(), "alice", null!, Ct));
    }

    [Fact]
    public async Task Authenticate_an_unknown_user_or_one_outside_the_base_is_null()
    {
        Assert.Null(await _directory.AuthenticateAsync(ldap.Settings(), "nobody", "whatever", Ct));
        Assert.Null(await _directory.AuthenticateAsync(ldap.Settings(), "eve", LdapServer.Eve.Password, Ct));
        Assert.Null(await _directory.AuthenticateAsync(ldap.Settings(), "", LdapServer.Alice.Password, Ct));
        Assert.NotNull(await _directory.AuthenticateAsync(ldap.Settings(baseDn: ldap.BaseDn), "eve", LdapServer.Eve.Password, Ct));
    }

    [Fact]
    public async Task Authenticate_an_ambiguous_username_is_null()
    {
        // uid attribute "sn": carol and dave are both "Smith".
        var settings = ldap.Settings(uid: "sn");
        Assert.Equal(2, (await _directory.SearchAsync(settings, "Smith", Ct)).Count);
        Assert.Null(await _directory.AuthenticateAsync(settings, "Smith", LdapServer.Carol.Password, Ct));
        Assert.Null(await _directory.AuthenticateAsync(settings, "Smith", LdapServer.Dave.Password, Ct));
        // One level down from ou=people, carol is the only Smith.
        var carol = await _directory.AuthenticateAsync(settings with { Scope = 1 }, "smith", LdapServer.Carol.Password, Ct);
        Assert.Equal(new LdapUser("Smith", "Carol Smith", "", LdapServer.Carol.Dn), carol);
    }

    [Fact]
    public async Task Authenticate_by_mail_or_cn()
    {
        var byMail = await _directory.AuthenticateAsync(ldap.Settings(uid: "mail"), "alice@example.org", LdapServer.Alice.Password, Ct);
        Assert.Equal(new LdapUser("alice@example.org", "Alice Liddell", "alice@example.org", LdapServer.Alice.Dn), byMail);
        var byCn = await _directory.AuthenticateAsync(ldap.Settings(uid: "cn"), "robert builder", LdapServer.Bob.Password, Ct);
        Assert.Equal("Robert Builder", byCn?.Username);
    }

    [Fact]
    public async Task The_configured_filter_applies_to_logins()
    {
        Assert.NotNull(await _directory.AuthenticateAsync(ldap.Settings(), "printer", LdapServer.Printer.Password, Ct));
        Assert.Null(await _directory.AuthenticateAsync(ldap.Settings(filter: "objectClass=inetOrgPerson"), "printer", LdapServer.Printer.Password, Ct));
    }

    // ---- filter injection ---------------------------------------------------------------

    [Theory]
    [InlineData("*")]
    [InlineData("ali*")]
    [InlineData("a*e")]
    [InlineData("*)(uid=*")]
    [InlineData(")(uid=*")]
    [InlineData("alice)(uid=*")]
    [InlineData("alice)(|(uid=*")]
    [InlineData("*)(|(uid=*))(|(uid=*")]
    [InlineData("alice\\29")]
    [InlineData("alice\0")]
    [InlineData("\\2a")]
    public async Task Filter_metacharacters_in_the_username_only_match_themselves(string username)
    {
        Assert.Null(await _directory.AuthenticateAsync(ldap.Settings(), username, LdapServer.Alice.Password, Ct));
        Assert.Null(await _directory.AuthenticateAsync(ldap.Settings(filter: "(uid=alice)"), username, LdapServer.Alice.Password, Ct));
        if (username != "*") Assert.Empty(await _directory.SearchAsync(ldap.Settings(), username, Ct));
    }

    [Fact]
    public async Task A_username_with_parentheses_is_escaped_not_refused()
    {
        var user = await _directory.AuthenticateAsync(ldap.Settings(), "o(neil)", LdapServer.ONeil.Password, Ct);
        Assert.Equal(LdapServer.ONeil.Dn, user?.Dn);
        Assert.Equal("o(neil)", Assert.Single(await _directory.SearchAsync(ldap.Settings(), "o(neil)", Ct)).Username);
        Assert.Empty(await _directory.SearchAsync(ldap.Settings(), "o(nei*", Ct));
    }

    [Fact]
    public void Escape_follows_rfc_4515()
    {
        Assert.Equal(@"a\2ab\28c\29d\5ce\00f", LdapFilter.Escape("a*b(c)d\\e\0f"));
        Assert.Equal("Ünïcødé é", LdapFilter.Escape("Ünïcødé é"));
    }

    [Theory]
    [InlineData("(uid=alice)")]
    [InlineData("(&(objectClass=person)(|(uid=a*)(cn=*b*c)(!(mail=*))))")]
    [InlineData("(cn:dn:2.5.13.5:=Alice)")]
    [InlineData("(:1.2.840.113556.1.4.803:=2)")]
    [InlineData("(userAccountControl:1.2.840.113556.1.4.803:=2)")]
    [InlineData("(createTimestamp>=20200101000000Z)")]
    [InlineData("(cn~=alise)")]
    [InlineData(@"(cn=a\2a\28\29\5c)")]
    [InlineData("(&)")]
    public void Valid_filters_parse(string filter) => Assert.NotEmpty(LdapFilter.Encode(filter));

    [Theory]
    [InlineData("(uid=alice")]
    [InlineData("uid=alice)")]
    [InlineData("(uid=a(b)")]
    [InlineData(@"(uid=a\2)")]
    [InlineData(@"(uid=a\zz)")]
    [InlineData("(=alice)")]
    [InlineData("(uid>=a*)")]
    [InlineData("(u id=alice)")]
    [InlineData("(uid=alice))")]
    [InlineData("(!(a=b)(c=d))")]
    public void Invalid_filters_are_refused(string filter) => Assert.Throws<FormatException>(() => LdapFilter.Encode(filter));

    [Fact]
    public void AddLdap_registers_one_directory_for_the_app()
    {
        using var withLogging = new ServiceCollection().AddLogging().AddLdap().AddLdap().BuildServiceProvider();
        Assert.IsType<LdapDirectory>(withLogging.GetRequiredService<ILdapDirectory>());
        Assert.Same(withLogging.GetRequiredService<ILdapDirectory>(), withLogging.GetRequiredService<ILdapDirectory>());
        using var bare = new ServiceCollection().AddLdap().BuildServiceProvider();
        Assert.IsType<LdapDirectory>(bare.GetRequiredService<ILdapDirectory>());
    }

    [Fact]
    public void Settings_never_print_the_search_password()
    {
        var text = (ldap.Settings() with { SearchPassword = "S3cret-Value" }).ToString();
        Assert.DoesNotContain("S3cret-Value", text);
        Assert.Contains(ldap.SearchDn, text);
    }

    // ---- outages ------------------------------------------------------------------------

    [Fact]
    public async Task A_stopped_server_is_unavailable_and_comes_back()
    {
        await using var server = new LdapServer();
        await server.StartAsync();
        var settings = server.Settings();
        Assert.NotNull(await _directory.AuthenticateAsync(settings, "alice", LdapServer.Alice.Password, Ct));

        await server.StopAsync();
        var (ok, message) = await _directory.PingAsync(settings, Ct);
        Assert.False(ok);
        Assert.Contains("connection refused", message);
        await Assert.ThrowsAsync<LdapUnavailableException>(() => _directory.AuthenticateAsync(settings, "alice", LdapServer.Alice.Password, Ct));
        await Assert.ThrowsAsync<LdapUnavailableException>(() => _directory.SearchAsync(settings, "alice", Ct));

        await server.StartAsync();
        Assert.True((await _directory.PingAsync(settings, Ct)).Success);
        Assert.NotNull(await _directory.AuthenticateAsync(settings, "alice", LdapServer.Alice.Password, Ct));
    }

    [Fact]
    public async Task The_caller_can_cancel()
    {
        using var silent = new TcpListener(IPAddress.Loopback, LoopbackPorts.Take(1)[0]);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _directory.SearchAsync(ldap.Settings(timeoutSeconds: 30) with { Url = $"127.0.0.1:{port}" }, "alice", cancel.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
    }
}
