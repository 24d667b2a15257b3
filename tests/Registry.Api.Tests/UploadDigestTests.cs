namespace Registry.Api.Tests;

/// <summary>The digest a client names when completing an upload: verified, validated before any I/O, sha512 supported.</summary>
public sealed class UploadDigestTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private const string Repo = "library/digests";
    private OciClient Admin => registry.Admin;

    [Fact]
    public async Task MonolithicPostWithAWrongDigestReturnsDigestInvalidAndStoresNothing()
    {
        var content = Oci.RandomBytes(100);
        var claimed = Oci.Digest(Oci.RandomBytes(100));
        await Expect.ErrorAsync(await Admin.PostBlobAsync(Repo, content, claimed), HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await Expect.StatusAsync(await Admin.HeadAsync($"/v2/{Repo}/blobs/{claimed}"), HttpStatusCode.NotFound);
        await Expect.StatusAsync(await Admin.HeadAsync($"/v2/{Repo}/blobs/{Oci.Digest(content)}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task FinalPutWithAWrongDigestReturnsDigestInvalidAndStoresNothing()
    {
        var content = Oci.RandomBytes(100);
        var claimed = Oci.Digest(Oci.RandomBytes(100));
        var location = await Admin.StartUploadAsync(Repo);
        await Expect.StatusAsync(await Admin.PatchAsync(location, content[..50], "0-49"), HttpStatusCode.Accepted);
        var response = await Admin.SendAsync(HttpMethod.Put, $"{location}?digest={claimed}", OciClient.Bytes(content[50..]));
        await Expect.ErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await Expect.StatusAsync(await Admin.HeadAsync($"/v2/{Repo}/blobs/{claimed}"), HttpStatusCode.NotFound);
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{Repo}/blobs/{claimed}"), HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    public static TheoryData<string> MalformedDigests => new()
    {
        "sha256:xyz",
        "sha256:" + new string('A', 64),
        "sha256:" + new string('a', 63),
        "sha256:..%2F..%2F..%2Fregistry.db",
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "sha256",
        "",
    };

    [Theory]
    [MemberData(nameof(MalformedDigests))]
    public async Task MonolithicPostWithAMalformedDigestReturnsDigestInvalidAndWritesNoBlob(string digest)
    {
        var before = BlobFiles();
        var response = await Admin.SendAsync(HttpMethod.Post, $"/v2/{Repo}/blobs/uploads/?digest={digest}", OciClient.Bytes(Oci.RandomBytes(10)));
        await Expect.ErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        Assert.Equal(before, BlobFiles());
    }

    [Theory]
    [MemberData(nameof(MalformedDigests))]
    public async Task FinalPutWithAMalformedDigestReturnsDigestInvalidAndWritesNoBlob(string digest)
    {
        var location = await Admin.StartUploadAsync(Repo);
        var before = BlobFiles();
        var response = await Admin.SendAsync(HttpMethod.Put, $"{location}?digest={digest}", OciClient.Bytes(Oci.RandomBytes(10)));
        await Expect.ErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        Assert.Equal(before, BlobFiles());
    }

    [Fact]
    public async Task FinalPutWithoutADigestReturnsDigestInvalid()
    {
        var location = await Admin.StartUploadAsync(Repo);
        await Expect.ErrorAsync(await Admin.SendAsync(HttpMethod.Put, location, OciClient.Bytes(Oci.RandomBytes(10))),
            HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task MonolithicPostWithASha512DigestCreatesTheBlob()
    {
        var content = Oci.RandomBytes(300);
        var digest = Oci.Digest(content, "sha512");
        var response = await Admin.PostBlobAsync(Repo, content, digest);
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        await AssertBlobAsync(digest, content);
    }

    [Fact]
    public async Task ChunkedUploadWithASha512DigestCreatesTheBlob()
    {
        var content = Oci.RandomBytes(300);
        var digest = Oci.Digest(content, "sha512");
        var location = await Admin.StartUploadAsync(Repo);
        await Expect.StatusAsync(await Admin.PatchAsync(location, content[..100], "0-99"), HttpStatusCode.Accepted);
        await Expect.StatusAsync(await Admin.PatchAsync(location, content[100..200], "100-199"), HttpStatusCode.Accepted);
        var response = await Admin.SendAsync(HttpMethod.Put, $"{location}?digest={digest}", OciClient.Bytes(content[200..]));
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        await AssertBlobAsync(digest, content);
    }

    [Fact]
    public async Task ChunkedUploadWithAWrongSha512DigestReturnsDigestInvalid()
    {
        var content = Oci.RandomBytes(300);
        var claimed = Oci.Digest(Oci.RandomBytes(300), "sha512");
        var location = await Admin.StartUploadAsync(Repo);
        await Expect.StatusAsync(await Admin.PatchAsync(location, content, "0-299"), HttpStatusCode.Accepted);
        await Expect.ErrorAsync(await Admin.SendAsync(HttpMethod.Put, $"{location}?digest={claimed}", OciClient.Bytes([])),
            HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await Expect.StatusAsync(await Admin.HeadAsync($"/v2/{Repo}/blobs/{claimed}"), HttpStatusCode.NotFound);
    }

    private async Task AssertBlobAsync(string digest, byte[] content)
    {
        var head = await Admin.HeadAsync($"/v2/{Repo}/blobs/{digest}");
        await Expect.StatusAsync(head, HttpStatusCode.OK);
        Assert.Equal(digest, head.Header("Docker-Content-Digest"));
        Assert.Equal(content.Length, head.Content.Headers.ContentLength);
        var get = await Admin.GetAsync($"/v2/{Repo}/blobs/{digest}");
        await Expect.StatusAsync(get, HttpStatusCode.OK);
        Assert.Equal(content, await get.Content.ReadAsByteArrayAsync());
    }

    private string[] BlobFiles()
    {
        var root = Path.Combine(registry.DataPath, "blobs");
        return Directory.Exists(root) ? [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)] : [];
    }
}
