using System.Text.Json;

namespace Registry.Api.Tests;

/// <summary>The referrers API: an OCI index of the manifests whose subject is a digest, optionally filtered by artifact type.</summary>
public sealed class ReferrerTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private const string Repo = "library/referrers";
    private const string Sbom = "application/vnd.example.sbom.v1+json";
    private const string Signature = "application/vnd.example.signature.v1+json";
    private OciClient Admin => registry.Admin;

    [Fact]
    public async Task ReferrersListsEveryManifestWhoseSubjectIsTheDigest()
    {
        var subject = await Admin.PushImageAsync(Repo, "app");
        var sbom = await PushReferrerAsync(subject.Manifest, Sbom, "sbom");
        var signature = await PushReferrerAsync(subject.Manifest, Signature, "signature");
        await Admin.PushImageAsync(Repo, "unrelated", artifactType: Sbom);

        var response = await Admin.GetAsync($"/v2/{Repo}/referrers/{subject.Manifest.Digest}");
        var index = await Expect.JsonAsync(response);
        Assert.Equal(Oci.OciIndex, response.Content.Headers.ContentType?.MediaType);
        Assert.Null(response.Header("OCI-Filters-Applied"));
        Assert.Equal(2, index.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(Oci.OciIndex, index.GetProperty("mediaType").GetString());

        var manifests = index.GetProperty("manifests").EnumerateArray().ToList();
        Assert.Equal(2, manifests.Count);
        AssertDescriptor(manifests, sbom, Sbom, "sbom");
        AssertDescriptor(manifests, signature, Signature, "signature");
    }

    [Fact]
    public async Task ReferrersFilteredByArtifactTypeSaySoInAHeader()
    {
        var subject = await Admin.PushImageAsync(Repo, "filtered");
        var sbom = await PushReferrerAsync(subject.Manifest, Sbom, "sbom");
        await PushReferrerAsync(subject.Manifest, Signature, "signature");

        var response = await Admin.GetAsync($"/v2/{Repo}/referrers/{subject.Manifest.Digest}?artifactType={Uri.EscapeDataString(Sbom)}");
        var manifests = (await Expect.JsonAsync(response)).GetProperty("manifests").EnumerateArray().ToList();
        Assert.Equal("artifactType", response.Header("OCI-Filters-Applied"));
        var only = Assert.Single(manifests);
        Assert.Equal(sbom.Digest, only.GetProperty("digest").GetString());
    }

    [Fact]
    public async Task AReferrerWithoutArtifactTypeIsListedUnderItsConfigMediaType()
    {
        var subject = await Admin.PushImageAsync(Repo, "by-config");
        var config = await Admin.PushBlobAsync(Repo, Oci.RandomBytes(), Signature);
        var body = Oci.Manifest(config, [], subject: subject.Manifest);
        var referrer = await Admin.PushManifestAsync(Repo, Oci.Digest(body), body, Oci.OciManifest);

        var manifests = (await Expect.JsonAsync(await Admin.GetAsync($"/v2/{Repo}/referrers/{subject.Manifest.Digest}"))).GetProperty("manifests");
        var only = Assert.Single(manifests.EnumerateArray());
        Assert.Equal(referrer.Digest, only.GetProperty("digest").GetString());
        Assert.Equal(Signature, only.GetProperty("artifactType").GetString());
    }

    [Fact]
    public async Task ADeletedReferrerIsNoLongerListed()
    {
        var subject = await Admin.PushImageAsync(Repo, "deleted-referrer");
        var referrer = await PushReferrerAsync(subject.Manifest, Sbom, "gone");
        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{Repo}/manifests/{referrer.Digest}"), HttpStatusCode.Accepted);
        var manifests = (await Expect.JsonAsync(await Admin.GetAsync($"/v2/{Repo}/referrers/{subject.Manifest.Digest}"))).GetProperty("manifests");
        Assert.Empty(manifests.EnumerateArray());
    }

    [Fact]
    public async Task ReferrersOfAnUnknownDigestIsAnEmptyIndex()
    {
        await Admin.PushImageAsync(Repo, "exists");
        var response = await Admin.GetAsync($"/v2/{Repo}/referrers/{Oci.Digest(Oci.RandomBytes())}");
        var index = await Expect.JsonAsync(response);
        Assert.Equal(Oci.OciIndex, response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(index.GetProperty("manifests").EnumerateArray());
    }

    [Fact]
    public async Task ReferrersInARepositoryThatDoesNotExistIsAnEmptyIndex()
    {
        var response = await Admin.GetAsync($"/v2/library/no-such-repo/referrers/{Oci.Digest(Oci.RandomBytes())}");
        Assert.Empty((await Expect.JsonAsync(response)).GetProperty("manifests").EnumerateArray());
        Assert.Equal(Oci.OciIndex, response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("sha256:nothex")]
    [InlineData("latest")]
    public async Task ReferrersOfAMalformedDigestReturns400(string digest)
    {
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{Repo}/referrers/{digest}"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ReferrersOfAPublicRepositoryAreReadableAnonymously()
    {
        var subject = await Admin.PushImageAsync(Repo, "public-subject");
        var referrer = await PushReferrerAsync(subject.Manifest, Sbom, "public");
        var manifests = (await Expect.JsonAsync(await registry.Anonymous.GetAsync($"/v2/{Repo}/referrers/{subject.Manifest.Digest}"))).GetProperty("manifests");
        Assert.Equal(referrer.Digest, Assert.Single(manifests.EnumerateArray()).GetProperty("digest").GetString());
    }

    private async Task<Descriptor> PushReferrerAsync(Descriptor subject, string artifactType, string name)
    {
        var config = await Admin.PushBlobAsync(Repo, "{}"u8.ToArray(), Oci.OciEmpty);
        var layer = await Admin.PushBlobAsync(Repo, Oci.RandomBytes(), artifactType);
        var annotations = new Dictionary<string, string> { ["org.example.name"] = name, ["org.opencontainers.image.created"] = "2024-05-01T00:00:00Z" };
        var body = Oci.Manifest(config, [layer], artifactType: artifactType, subject: subject, annotations: annotations);
        return await Admin.PushManifestAsync(Repo, Oci.Digest(body), body, Oci.OciManifest);
    }

    private static void AssertDescriptor(List<JsonElement> manifests, Descriptor expected, string artifactType, string name)
    {
        var entry = Assert.Single(manifests, m => m.GetProperty("digest").GetString() == expected.Digest);
        Assert.Equal(Oci.OciManifest, entry.GetProperty("mediaType").GetString());
        Assert.Equal(expected.Size, entry.GetProperty("size").GetInt64());
        Assert.Equal(artifactType, entry.GetProperty("artifactType").GetString());
        Assert.Equal(name, entry.GetProperty("annotations").GetProperty("org.example.name").GetString());
        Assert.Equal("2024-05-01T00:00:00Z", entry.GetProperty("annotations").GetProperty("org.opencontainers.image.created").GetString());
    }
}
