namespace Registry.Api.Tests;

/// <summary>Pushing, pulling and deleting manifests of every kind: exact bytes and the pushed media type come back.</summary>
public sealed class ManifestTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private const string Repo = "library/manifests";
    private const string ArtifactType = "application/vnd.example.sbom.v1+json";
    private const string ArtifactConfig = "application/vnd.example.config.v1+json";
    private OciClient Admin => registry.Admin;

    public static TheoryData<string> Kinds => new() { Oci.OciManifest, Oci.OciIndex, Oci.DockerManifest, Oci.DockerManifestList, ArtifactType };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task PutByTagThenGetAndHeadByTagAndDigestReturnTheExactBytesAndMediaType(string kind)
    {
        var tag = "t" + Guid.NewGuid().ToString("N")[..8];
        var (body, mediaType) = await BuildAsync(kind);
        var digest = Oci.Digest(body);

        var put = await Admin.PutManifestAsync(Repo, tag, body, mediaType);
        await Expect.StatusAsync(put, HttpStatusCode.Created);
        Assert.Equal(digest, put.Header("Docker-Content-Digest"));
        Assert.EndsWith($"/v2/{Repo}/manifests/{digest}", put.Headers.Location?.OriginalString);

        foreach (var reference in new[] { tag, digest })
        {
            var get = await Admin.GetAsync($"/v2/{Repo}/manifests/{reference}");
            await Expect.StatusAsync(get, HttpStatusCode.OK);
            Assert.Equal(mediaType, get.Content.Headers.ContentType?.MediaType);
            Assert.Equal(digest, get.Header("Docker-Content-Digest"));
            Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());

            var head = await Admin.HeadAsync($"/v2/{Repo}/manifests/{reference}");
            await Expect.StatusAsync(head, HttpStatusCode.OK);
            Assert.Equal(mediaType, head.Content.Headers.ContentType?.MediaType);
            Assert.Equal(digest, head.Header("Docker-Content-Digest"));
            Assert.Equal(body.Length, head.Content.Headers.ContentLength);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task PutByDigestStoresTheManifestWithoutATag()
    {
        var (body, mediaType) = await BuildAsync(Oci.OciManifest, "library/by-digest");
        var digest = Oci.Digest(body);
        var put = await Admin.PutManifestAsync("library/by-digest", digest, body, mediaType);
        await Expect.StatusAsync(put, HttpStatusCode.Created);
        Assert.Equal(digest, put.Header("Docker-Content-Digest"));
        var get = await Admin.GetAsync($"/v2/library/by-digest/manifests/{digest}");
        await Expect.StatusAsync(get, HttpStatusCode.OK);
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
        Assert.Empty((await Expect.JsonAsync(await Admin.GetAsync("/v2/library/by-digest/tags/list"))).Strings("tags"));
    }

    [Fact]
    public async Task PutByASha512DigestStoresAndServesTheManifest()
    {
        var content = Oci.RandomBytes();
        var layer = new Descriptor(Oci.OciLayer, Oci.Digest(content, "sha512"), content.Length);
        await Expect.StatusAsync(await Admin.PostBlobAsync(Repo, content, layer.Digest), HttpStatusCode.Created);
        var config = await Admin.PushBlobAsync(Repo, Oci.Config(), Oci.OciConfig);
        var body = Oci.Manifest(config, [layer]);
        var digest = Oci.Digest(body, "sha512");

        var put = await Admin.PutManifestAsync(Repo, digest, body, Oci.OciManifest);
        await Expect.StatusAsync(put, HttpStatusCode.Created);
        Assert.Equal(digest, put.Header("Docker-Content-Digest"));
        var get = await Admin.GetAsync($"/v2/{Repo}/manifests/{digest}");
        await Expect.StatusAsync(get, HttpStatusCode.OK);
        Assert.Equal(digest, get.Header("Docker-Content-Digest"));
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AnIndexAskedForWithOnlyTheDockerManifestTypeReturnsItsLinuxAmd64Child()
    {
        var arm = await Admin.PushImageAsync(Repo, "arm-child", Oci.DockerManifest);
        var amd = await Admin.PushImageAsync(Repo, "amd-child", Oci.DockerManifest);
        var index = Oci.Index([arm.Manifest.ToJson("linux", "arm64"), amd.Manifest.ToJson("linux", "amd64")]);
        await Admin.PushManifestAsync(Repo, "multi", index, Oci.OciIndex);

        var response = await Admin.GetAsync($"/v2/{Repo}/manifests/multi", Oci.DockerManifest);
        await Expect.StatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(Oci.DockerManifest, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(amd.Manifest.Digest, response.Header("Docker-Content-Digest"));
        Assert.Equal(amd.Body, await response.Content.ReadAsByteArrayAsync());

        var asIndex = await Admin.GetAsync($"/v2/{Repo}/manifests/multi", Oci.DockerManifest, Oci.OciIndex);
        await Expect.StatusAsync(asIndex, HttpStatusCode.OK);
        Assert.Equal(Oci.OciIndex, asIndex.Content.Headers.ContentType?.MediaType);
        Assert.Equal(index, await asIndex.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AManifestAskedForWithAnAcceptHeaderThatExcludesItsTypeIsUnknown()
    {
        var image = await Admin.PushImageAsync(Repo, "oci-only");
        var response = await Admin.GetAsync($"/v2/{Repo}/manifests/oci-only", Oci.DockerManifest);
        await Expect.ErrorAsync(response, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");

        var accepted = await Admin.GetAsync($"/v2/{Repo}/manifests/oci-only", Oci.DockerManifest, Oci.OciManifest + ";q=0.5");
        await Expect.StatusAsync(accepted, HttpStatusCode.OK);
        Assert.Equal(image.Body, await accepted.Content.ReadAsByteArrayAsync());

        var refused = await Admin.GetAsync($"/v2/{Repo}/manifests/oci-only", Oci.DockerManifest, Oci.OciManifest + "; q=0");
        await Expect.ErrorAsync(refused, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");

        var anything = await Admin.GetAsync($"/v2/{Repo}/manifests/oci-only", "*/*");
        await Expect.StatusAsync(anything, HttpStatusCode.OK);
        Assert.Equal(Oci.OciManifest, anything.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task PutWithASubjectReturnsTheOciSubjectHeader()
    {
        var subject = await Admin.PushImageAsync(Repo, "subject");
        var referrer = await Admin.PushImageAsync(Repo, "signature", subject: subject.Manifest, artifactType: ArtifactType);
        var response = await Admin.PutManifestAsync(Repo, referrer.Manifest.Digest, referrer.Body, Oci.OciManifest);
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        Assert.Equal(subject.Manifest.Digest, response.Header("OCI-Subject"));
    }

    [Fact]
    public async Task PutWithASubjectThatDoesNotExistIsAccepted()
    {
        var missing = new Descriptor(Oci.OciManifest, Oci.Digest(Oci.RandomBytes()), 123);
        var config = await Admin.PushBlobAsync(Repo, Oci.Config(), Oci.OciConfig);
        var body = Oci.Manifest(config, [], artifactType: ArtifactType, subject: missing);
        var response = await Admin.PutManifestAsync(Repo, Oci.Digest(body), body, Oci.OciManifest);
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        Assert.Equal(missing.Digest, response.Header("OCI-Subject"));
    }

    [Fact]
    public async Task DeletingByTagRemovesOnlyTheTag()
    {
        var image = await Admin.PushImageAsync(Repo, "untag-me");
        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{Repo}/manifests/untag-me"), HttpStatusCode.Accepted);
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{Repo}/manifests/untag-me"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        var byDigest = await Admin.GetAsync($"/v2/{Repo}/manifests/{image.Manifest.Digest}");
        await Expect.StatusAsync(byDigest, HttpStatusCode.OK);
        Assert.Equal(image.Body, await byDigest.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task DeletingByDigestRemovesTheManifestAndItsTags()
    {
        const string repo = "library/delete-digest";
        var keep = await Admin.PushImageAsync(repo, "keep");
        var image = await Admin.PushImageAsync(repo, "doomed");
        await Admin.PushManifestAsync(repo, "doomed-too", image.Body, Oci.OciManifest);

        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{repo}/manifests/{image.Manifest.Digest}"), HttpStatusCode.Accepted);

        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{repo}/manifests/{image.Manifest.Digest}"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{repo}/manifests/doomed"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{repo}/manifests/doomed-too"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        Assert.Equal(["keep"], (await Expect.JsonAsync(await Admin.GetAsync($"/v2/{repo}/tags/list"))).Strings("tags"));
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repo}/manifests/{keep.Manifest.Digest}"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task AnUnknownManifestReturnsManifestUnknown()
    {
        var digest = Oci.Digest(Oci.RandomBytes());
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{Repo}/manifests/no-such-tag"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{Repo}/manifests/{digest}"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        await Expect.StatusAsync(await Admin.HeadAsync($"/v2/{Repo}/manifests/{digest}"), HttpStatusCode.NotFound);
        await Expect.ErrorAsync(await Admin.DeleteAsync($"/v2/{Repo}/manifests/{digest}"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        await Expect.ErrorAsync(await Admin.DeleteAsync($"/v2/{Repo}/manifests/no-such-tag"), HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    /// <summary>Pushes what a manifest of <paramref name="kind"/> references and returns its body and media type.</summary>
    private async Task<(byte[] Body, string MediaType)> BuildAsync(string kind, string repository = Repo)
    {
        switch (kind)
        {
            case Oci.OciManifest or Oci.DockerManifest:
                var docker = kind == Oci.DockerManifest;
                var config = await Admin.PushBlobAsync(repository, Oci.Config(), docker ? Oci.DockerConfig : Oci.OciConfig);
                var layer = await Admin.PushBlobAsync(repository, Oci.RandomBytes(), docker ? Oci.DockerLayer : Oci.OciLayer);
                return (Oci.Manifest(config, [layer], kind), kind);
            case Oci.OciIndex or Oci.DockerManifestList:
                var childType = kind == Oci.OciIndex ? Oci.OciManifest : Oci.DockerManifest;
                var amd = await Admin.PushImageAsync(repository, "child-" + Guid.NewGuid().ToString("N")[..8], childType);
                var arm = await Admin.PushImageAsync(repository, "child-" + Guid.NewGuid().ToString("N")[..8], childType);
                return (Oci.Index([amd.Manifest.ToJson("linux", "amd64"), arm.Manifest.ToJson("linux", "arm64")], kind), kind);
            default:
                var artifactConfig = await Admin.PushBlobAsync(repository, Oci.RandomBytes(), ArtifactConfig);
                var payload = await Admin.PushBlobAsync(repository, Oci.RandomBytes(), "application/vnd.example.sbom.layer.v1+json");
                var annotations = new Dictionary<string, string> { ["org.opencontainers.image.created"] = "2024-01-01T00:00:00Z" };
                return (Oci.Manifest(artifactConfig, [payload], Oci.OciManifest, kind, annotations: annotations), Oci.OciManifest);
        }
    }
}
