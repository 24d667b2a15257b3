using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Registry.Api.Auth;
using Registry.Grains.Metadata;

namespace Registry.Api.Tests;

/// <summary>Who may do what: anonymous pulls of public projects, the token service, forged tokens, private projects.</summary>
public sealed class AccessTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private OciClient Admin => registry.Admin;

    [Fact]
    public async Task AnonymousCallersCanPullFromTheLibrary()
    {
        var image = await Admin.PushImageAsync("library/public-app", "1.0");
        var manifest = await registry.Anonymous.GetAsync("/v2/library/public-app/manifests/1.0");
        await Expect.StatusAsync(manifest, HttpStatusCode.OK);
        Assert.Equal(image.Body, await manifest.Content.ReadAsByteArrayAsync());
        await Expect.StatusAsync(await registry.Anonymous.GetAsync($"/v2/library/public-app/blobs/{image.Layer.Digest}"), HttpStatusCode.OK);
        Assert.Equal(["1.0"], (await Expect.JsonAsync(await registry.Anonymous.GetAsync("/v2/library/public-app/tags/list"))).Strings("tags"));
    }

    [Fact]
    public async Task AnonymousPushIsChallengedWithAPullPushScope()
    {
        var upload = await registry.Anonymous.SendAsync(HttpMethod.Post, "/v2/library/x/blobs/uploads/");
        await Expect.ErrorAsync(upload, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.StartsWith("Bearer realm=", upload.Header("WWW-Authenticate"));
        Assert.Contains("scope=\"repository:library/x:pull,push\"", upload.Header("WWW-Authenticate"));

        var manifest = await registry.Anonymous.PutManifestAsync("library/x", "latest", "{}"u8.ToArray(), Oci.OciManifest);
        await Expect.ErrorAsync(manifest, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Contains("scope=\"repository:library/x:pull,push\"", manifest.Header("WWW-Authenticate"));
    }

    [Fact]
    public async Task AnAnonymousTokenCarriesOnlyPull()
    {
        await Admin.PushImageAsync("library/anon-token", "latest");
        var token = await TokenAsync(registry.Anonymous, "repository:library/anon-token:pull,push");
        var access = Assert.Single(Jwt.Payload(token).GetProperty("access").EnumerateArray());
        Assert.Equal("repository", access.GetProperty("type").GetString());
        Assert.Equal("library/anon-token", access.GetProperty("name").GetString());
        Assert.Equal(["pull"], access.Strings("actions"));

        var client = registry.WithBearer(token);
        await Expect.StatusAsync(await client.GetAsync("/v2/library/anon-token/manifests/latest"), HttpStatusCode.OK);
        var blob = Oci.RandomBytes();
        var push = await client.PostBlobAsync("library/anon-token", blob, Oci.Digest(blob));
        await Expect.ErrorAsync(push, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Contains("error=\"insufficient_scope\"", push.Header("WWW-Authenticate"));
    }

    [Fact]
    public async Task AnAdminTokenWithPushWorksAsABearerToken()
    {
        var token = await TokenAsync(Admin, "repository:library/bearer:pull,push");
        var client = registry.WithBearer(token);
        var image = await client.PushImageAsync("library/bearer", "v1");
        var pulled = await client.GetAsync("/v2/library/bearer/manifests/v1");
        await Expect.StatusAsync(pulled, HttpStatusCode.OK);
        Assert.Equal(image.Body, await pulled.Content.ReadAsByteArrayAsync());

        var elsewhere = await client.SendAsync(HttpMethod.Post, "/v2/library/not-in-token/blobs/uploads/");
        await Expect.ErrorAsync(elsewhere, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task ATokenMintedWithTheRegistryKeyAndRightClaimsIsAccepted()
    {
        var token = Jwt.SignRs256(Jwt.Claims("library/minted", ["pull", "push"]), Keys.Key.Rsa, Keys.Key.KeyId);
        await Expect.StatusAsync(await registry.WithBearer(token).SendAsync(HttpMethod.Post, "/v2/library/minted/blobs/uploads/"), HttpStatusCode.Accepted);
    }

    public static TheoryData<string> Forgeries => new() { "other-rsa-key", "alg-none", "hs256-with-public-key", "expired", "wrong-audience", "wrong-issuer", "tampered", "garbage",
        "embedded-jwk", "x5c", "not-yet-valid" };

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task AForgedTokenIsRejected(string forgery)
    {
        var claims = Jwt.Claims("library/forged", ["pull", "push", "delete"]);
        var kid = Keys.Key.KeyId;
        var token = forgery switch
        {
            "other-rsa-key" => Jwt.SignRs256(claims, RSA.Create(2048), kid),
            "alg-none" => Jwt.Unsigned(claims, kid),
            "hs256-with-public-key" => Jwt.SignHs256(claims, Encoding.ASCII.GetBytes(Keys.Key.Rsa.ExportSubjectPublicKeyInfoPem()), kid),
            "expired" => Jwt.SignRs256(Jwt.Claims("library/forged", ["pull", "push"], DateTimeOffset.UtcNow.AddHours(-1)), Keys.Key.Rsa, kid),
            "wrong-audience" => Jwt.SignRs256(Jwt.Claims("library/forged", ["pull", "push"], audience: "elsewhere"), Keys.Key.Rsa, kid),
            "wrong-issuer" => Jwt.SignRs256(Jwt.Claims("library/forged", ["pull", "push"], issuer: "someone-else"), Keys.Key.Rsa, kid),
            "tampered" => Tamper(await TokenAsync(registry.Anonymous, "repository:library/forged:pull"), Jwt.SignRs256(claims, RSA.Create(2048), kid)),
            // Signed by another key that the header offers itself, as a jwk or a certificate chain.
            "embedded-jwk" => Jwt.SignRs256WithEmbeddedJwk(claims, RSA.Create(2048), kid),
            "x5c" => Jwt.SignRs256WithX5c(claims, RSA.Create(2048), kid),
            // The registry's own key, but valid only from an hour on.
            "not-yet-valid" => Jwt.SignRs256(Jwt.Claims("library/forged", ["pull", "push"], DateTimeOffset.UtcNow.AddHours(2), notBefore: DateTimeOffset.UtcNow.AddHours(1)),
                Keys.Key.Rsa, kid),
            _ => "not.a.token",
        };
        var client = registry.WithBearer(token);
        await Expect.ErrorAsync(await client.SendAsync(HttpMethod.Post, "/v2/library/forged/blobs/uploads/"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await Expect.StatusAsync(await client.GetAsync("/v2/"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task OnlyAdminsAreGrantedTheCatalog()
    {
        var (_, password) = await registry.AdminApi.CreateUserAsync("catalog-asker");
        var user = registry.WithBasic("catalog-asker", password);
        var token = await TokenAsync(user, "registry:catalog:*");
        Assert.DoesNotContain(Jwt.Payload(token).GetProperty("access").EnumerateArray(),
            a => a.GetProperty("type").GetString() == "registry" && a.GetProperty("actions").GetArrayLength() > 0);
        Assert.NotEqual(HttpStatusCode.OK, (await registry.WithBearer(token).GetAsync("/v2/_catalog")).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await user.GetAsync("/v2/_catalog")).StatusCode);

        var admin = await TokenAsync(Admin, "registry:catalog:*");
        var granted = Assert.Single(Jwt.Payload(admin).GetProperty("access").EnumerateArray());
        Assert.Equal(("registry", "catalog"), (granted.GetProperty("type").GetString(), granted.GetProperty("name").GetString()));
        Assert.Equal(["*"], granted.Strings("actions"));
        await Expect.StatusAsync(await registry.WithBearer(admin).GetAsync("/v2/_catalog"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task PushingToAProjectThatDoesNotExistReturnsNameUnknown()
    {
        await Expect.ErrorAsync(await Admin.SendAsync(HttpMethod.Post, "/v2/nosuchproject/app/blobs/uploads/"), HttpStatusCode.NotFound, "NAME_UNKNOWN");
        await Expect.ErrorAsync(await Admin.PutManifestAsync("nosuchproject/app", "latest", "{}"u8.ToArray(), Oci.OciManifest),
            HttpStatusCode.NotFound, "NAME_UNKNOWN");
    }

    [Fact]
    public async Task APrivateProjectIsNotReadableAnonymouslyAndItsBlobsAreNotVisibleFromAPublicRepository()
    {
        await registry.Services.GetRequiredService<IAccountStore>().UpsertProjectAsync("private2", false);
        var image = await Admin.PushImageAsync("private2/app", "secret");

        var manifest = await registry.Anonymous.GetAsync("/v2/private2/app/manifests/secret");
        await Expect.ErrorAsync(manifest, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Contains("scope=\"repository:private2/app:pull\"", manifest.Header("WWW-Authenticate"));
        await Expect.StatusAsync(await registry.Anonymous.GetAsync($"/v2/private2/app/blobs/{image.Layer.Digest}"), HttpStatusCode.Unauthorized);

        var anonymousToken = await TokenAsync(registry.Anonymous, "repository:private2/app:pull");
        Assert.All(Jwt.Payload(anonymousToken).GetProperty("access").EnumerateArray(), a => Assert.Empty(a.GetProperty("actions").EnumerateArray()));
        await Expect.StatusAsync(await registry.WithBearer(anonymousToken).GetAsync("/v2/private2/app/manifests/secret"), HttpStatusCode.Unauthorized);

        await Admin.PushImageAsync("library/public-neighbour", "latest");
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/library/public-neighbour/blobs/{image.Layer.Digest}"), HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        await Expect.StatusAsync(await registry.Anonymous.HeadAsync($"/v2/library/public-neighbour/blobs/{image.Layer.Digest}"), HttpStatusCode.NotFound);
        await Expect.StatusAsync(await registry.Anonymous.HeadAsync($"/v2/library/public-neighbour/blobs/{image.Config.Digest}"), HttpStatusCode.NotFound);
    }

    private TokenKeys Keys => registry.Services.GetRequiredService<TokenKeys>();

    private static async Task<string> TokenAsync(OciClient client, string scope)
    {
        var response = await client.GetAsync($"/service/token?service=registry&scope={Uri.EscapeDataString(scope)}");
        return (await Expect.JsonAsync(response)).GetProperty("token").GetString()!;
    }

    /// <summary>A real token's header and signature around a forged payload that grants more.</summary>
    private static string Tamper(string real, string forged)
    {
        var r = real.Split('.');
        return $"{r[0]}.{forged.Split('.')[1]}.{r[2]}";
    }
}
