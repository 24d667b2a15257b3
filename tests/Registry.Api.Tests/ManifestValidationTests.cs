using System.Text;

namespace Registry.Api.Tests;

/// <summary>Manifests the registry must refuse: bad JSON, wrong digests, missing references, bad names and tags, oversized bodies.</summary>
public sealed class ManifestValidationTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private const string Repo = "library/validation";
    private const int Limit = 4 << 20;
    private OciClient Admin => registry.Admin;

    [Fact]
    public async Task InvalidJsonReturnsManifestInvalid()
    {
        var response = await Admin.PutManifestAsync(Repo, "broken", Encoding.UTF8.GetBytes("{\"schemaVersion\": 2, "), Oci.OciManifest);
        await Expect.ErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task ABodyWhoseDigestDiffersFromTheReferenceReturnsDigestInvalid()
    {
        var body = await ValidManifestAsync();
        var other = Oci.Digest(Oci.RandomBytes());
        await Expect.ErrorAsync(await Admin.PutManifestAsync(Repo, other, body, Oci.OciManifest), HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{Repo}/manifests/{other}"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{Repo}/manifests/{Oci.Digest(body)}"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task AManifestReferencingAMissingConfigReturnsManifestBlobUnknown()
    {
        var config = Oci.Describe(Oci.Config(), Oci.OciConfig);
        var layer = await Admin.PushBlobAsync(Repo, Oci.RandomBytes(), Oci.OciLayer);
        var response = await Admin.PutManifestAsync(Repo, "no-config", Oci.Manifest(config, [layer]), Oci.OciManifest);
        await Expect.ErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{Repo}/manifests/no-config"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task AManifestReferencingAMissingLayerReturnsManifestBlobUnknown()
    {
        var config = await Admin.PushBlobAsync(Repo, Oci.Config(), Oci.OciConfig);
        var layer = Oci.Describe(Oci.RandomBytes(), Oci.OciLayer);
        var response = await Admin.PutManifestAsync(Repo, "no-layer", Oci.Manifest(config, [layer]), Oci.OciManifest);
        await Expect.ErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    public async Task AManifestReferencingABlobOfAnotherRepositoryReturnsManifestBlobUnknown()
    {
        var config = await Admin.PushBlobAsync("library/validation-other", Oci.Config(), Oci.OciConfig);
        var response = await Admin.PutManifestAsync(Repo, "foreign", Oci.Manifest(config, []), Oci.OciManifest);
        await Expect.ErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    public async Task AnIndexWithAMissingChildReturnsManifestBlobUnknown()
    {
        var present = await Admin.PushImageAsync(Repo, "present");
        var missing = new Descriptor(Oci.OciManifest, Oci.Digest(Oci.RandomBytes()), 500);
        var index = Oci.Index([present.Manifest.ToJson("linux", "amd64"), missing.ToJson("linux", "arm64")]);
        await Expect.ErrorAsync(await Admin.PutManifestAsync(Repo, "partial", index, Oci.OciIndex), HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Theory]
    [InlineData("-bad")]
    [InlineData(".bad")]
    [InlineData("bad%21")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task AnInvalidTagReturnsTagInvalid(string tag)
    {
        var body = await ValidManifestAsync();
        await Expect.ErrorAsync(await Admin.PutManifestAsync(Repo, tag, body, Oci.OciManifest), HttpStatusCode.BadRequest, "TAG_INVALID");
    }

    [Fact]
    public async Task ATagOf128CharactersIsAccepted()
    {
        var tag = "_" + new string('v', 127);
        await Admin.PushManifestAsync(Repo, tag, await ValidManifestAsync(), Oci.OciManifest);
        await Expect.StatusAsync(await Admin.HeadAsync($"/v2/{Repo}/manifests/{tag}"), HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("library/UPPER")]
    [InlineData("library//x")]
    [InlineData("library/a..b")]
    [InlineData("library/-x")]
    [InlineData("library/x-")]
    [InlineData("library/x/")]
    [InlineData("library/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task AnInvalidRepositoryNameReturnsNameInvalid(string name)
    {
        var body = await ValidManifestAsync();
        await Expect.ErrorAsync(await Admin.PutManifestAsync(name, "latest", body, Oci.OciManifest), HttpStatusCode.BadRequest, "NAME_INVALID");
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{name}/manifests/latest"), HttpStatusCode.BadRequest, "NAME_INVALID");
    }

    [Fact]
    public async Task AManifestOfExactlyFourMebibytesIsAccepted()
    {
        var body = await PaddedManifestAsync(Limit);
        Assert.Equal(Limit, body.Length);
        await Admin.PushManifestAsync(Repo, "four-mib", body, Oci.OciManifest);
        var get = await Admin.GetAsync($"/v2/{Repo}/manifests/four-mib");
        await Expect.StatusAsync(get, HttpStatusCode.OK);
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AManifestOneByteOverFourMebibytesReturns413()
    {
        var body = await PaddedManifestAsync(Limit + 1);
        await Expect.StatusAsync(await Admin.PutManifestAsync(Repo, "too-big", body, Oci.OciManifest), HttpStatusCode.RequestEntityTooLarge);
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{Repo}/manifests/too-big"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Theory]
    [InlineData(null)]
    [InlineData(100L)]
    public async Task AnOversizedManifestSentWithoutATruthfulLengthReturns413(long? claimedLength)
    {
        var body = await PaddedManifestAsync(Limit + 4096);
        var content = new StreamedContent(body, claimedLength);
        content.Headers.ContentType = new(Oci.OciManifest);
        await Expect.StatusAsync(await Admin.SendAsync(HttpMethod.Put, $"/v2/{Repo}/manifests/sneaky", content), HttpStatusCode.RequestEntityTooLarge);
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{Repo}/manifests/sneaky"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    private async Task<byte[]> ValidManifestAsync()
    {
        var config = await Admin.PushBlobAsync(Repo, Oci.Config(), Oci.OciConfig);
        return Oci.Manifest(config, []);
    }

    /// <summary>A valid manifest padded with an annotation to exactly <paramref name="size"/> bytes.</summary>
    private async Task<byte[]> PaddedManifestAsync(int size)
    {
        var config = await Admin.PushBlobAsync(Repo, Oci.Config(), Oci.OciConfig);
        byte[] Build(int pad) => Oci.Manifest(config, [], annotations: new Dictionary<string, string> { ["pad"] = new string('x', pad) });
        return Build(size - Build(0).Length);
    }
}
