namespace Registry.Api.Tests;

/// <summary>Pulling and deleting blobs: exact bytes, ranges, and visibility only in the repositories they were pushed to.</summary>
public sealed class BlobTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private const string Repo = "library/blobs";
    private OciClient Admin => registry.Admin;

    [Fact]
    public async Task GetReturnsTheExactBytesWithLengthAndDigest()
    {
        var content = Oci.RandomBytes(5000);
        var blob = await Admin.PushBlobAsync(Repo, content);
        var response = await Admin.GetAsync($"/v2/{Repo}/blobs/{blob.Digest}");
        await Expect.StatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(content.Length, response.Content.Headers.ContentLength);
        Assert.Equal(blob.Digest, response.Header("Docker-Content-Digest"));
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task HeadReturnsLengthAndDigestWithoutABody()
    {
        var blob = await Admin.PushBlobAsync(Repo, Oci.RandomBytes(777));
        var response = await Admin.HeadAsync($"/v2/{Repo}/blobs/{blob.Digest}");
        await Expect.StatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(777, response.Content.Headers.ContentLength);
        Assert.Equal(blob.Digest, response.Header("Docker-Content-Digest"));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("bytes=0-9", 0, 10)]
    [InlineData("bytes=5-", 5, 95)]
    [InlineData("bytes=-4", 96, 4)]
    [InlineData("bytes=90-200", 90, 10)]
    public async Task ARangeRequestReturnsPartialContent(string range, int offset, int length)
    {
        var content = Oci.RandomBytes(100);
        var blob = await Admin.PushBlobAsync(Repo, content);
        var response = await Admin.SendAsync(HttpMethod.Get, $"/v2/{Repo}/blobs/{blob.Digest}", configure: r => r.Headers.TryAddWithoutValidation("Range", range));
        await Expect.StatusAsync(response, HttpStatusCode.PartialContent);
        Assert.Equal($"bytes {offset}-{offset + length - 1}/100", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(length, response.Content.Headers.ContentLength);
        Assert.Equal(content.AsSpan(offset, length).ToArray(), await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("bytes=100-")]
    [InlineData("bytes=1000-2000")]
    public async Task AnUnsatisfiableRangeReturns416(string range)
    {
        var blob = await Admin.PushBlobAsync(Repo, Oci.RandomBytes(100));
        var response = await Admin.SendAsync(HttpMethod.Get, $"/v2/{Repo}/blobs/{blob.Digest}", configure: r => r.Headers.TryAddWithoutValidation("Range", range));
        await Expect.StatusAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable);
        Assert.Equal("bytes */100", response.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task DeletingABlobMakesItUnknown()
    {
        var blob = await Admin.PushBlobAsync(Repo, Oci.RandomBytes());
        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{Repo}/blobs/{blob.Digest}"), HttpStatusCode.Accepted);
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{Repo}/blobs/{blob.Digest}"), HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        await Expect.StatusAsync(await Admin.HeadAsync($"/v2/{Repo}/blobs/{blob.Digest}"), HttpStatusCode.NotFound);
        await Expect.ErrorAsync(await Admin.DeleteAsync($"/v2/{Repo}/blobs/{blob.Digest}"), HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task ABlobPushedToOneRepositoryIsUnknownInAnother()
    {
        var blob = await Admin.PushBlobAsync("library/blobs-a", Oci.RandomBytes());
        await Expect.StatusAsync(await Admin.HeadAsync($"/v2/library/blobs-a/blobs/{blob.Digest}"), HttpStatusCode.OK);
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/library/blobs-b/blobs/{blob.Digest}"), HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        await Expect.StatusAsync(await Admin.HeadAsync($"/v2/library/blobs-b/blobs/{blob.Digest}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeletingABlobInOneRepositoryLeavesItInAnother()
    {
        var content = Oci.RandomBytes();
        var blob = await Admin.PushBlobAsync("library/blobs-c", content);
        await Admin.PushBlobAsync("library/blobs-d", content);
        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/library/blobs-c/blobs/{blob.Digest}"), HttpStatusCode.Accepted);
        var response = await Admin.GetAsync($"/v2/library/blobs-d/blobs/{blob.Digest}");
        await Expect.StatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AnUnknownBlobReturnsBlobUnknown()
    {
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{Repo}/blobs/{Oci.Digest(Oci.RandomBytes())}"), HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task AMalformedBlobDigestReturnsDigestInvalid()
    {
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{Repo}/blobs/sha256:nothex"), HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }
}
