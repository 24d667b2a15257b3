namespace Registry.Api.Tests;

/// <summary>The base endpoint, health endpoints and unknown routes.</summary>
public sealed class BaseTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    [Fact]
    public async Task BaseEndpointAnswersAdminWithApiVersionHeader()
    {
        var response = await registry.Admin.GetAsync("/v2/");
        await Expect.StatusAsync(response, HttpStatusCode.OK);
        Assert.Equal("registry/2.0", response.Header("Docker-Distribution-API-Version"));
    }

    [Fact]
    public async Task BaseEndpointChallengesAnonymousCallersToTheTokenService()
    {
        var response = await registry.Anonymous.GetAsync("/v2/");
        await Expect.ErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        var challenge = response.Header("WWW-Authenticate");
        Assert.NotNull(challenge);
        Assert.Matches("^Bearer realm=\"https?://[^\"]+/service/token\",service=\"registry\"", challenge);
    }

    [Fact]
    public async Task BaseEndpointRejectsAWrongPassword()
    {
        var response = await registry.WithBasic(RegistryFactory.AdminUser, "not-the-password").GetAsync("/v2/");
        await Expect.ErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task BaseEndpointRejectsAnUnknownUser()
    {
        var response = await registry.WithBasic("nobody", registry.AdminPassword).GetAsync("/v2/");
        await Expect.StatusAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task UnknownRouteUnderV2ReturnsJsonNotFound()
    {
        var response = await registry.Admin.GetAsync("/v2/library/x/nonsense");
        await Expect.StatusAsync(response, HttpStatusCode.NotFound);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(Expect.ErrorCodes(await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    public async Task HealthEndpointsAnswerOk(string path)
    {
        var response = await registry.Anonymous.GetAsync(path);
        await Expect.StatusAsync(response, HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheRegistryKeepsItsDataUnderTheConfiguredDataPath()
    {
        await registry.Admin.PushBlobAsync("library/datapath", Oci.RandomBytes());
        Assert.True(File.Exists(Path.Combine(registry.DataPath, "registry.db")));
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(registry.DataPath, "blobs"), "*", SearchOption.AllDirectories));
    }
}
