namespace Registry.Api.Tests;

/// <summary>Blob upload sessions: monolithic and chunked pushes, status, cancel, and every way an upload can be wrong.</summary>
public sealed class BlobUploadTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private const string Repo = "library/uploads";
    private OciClient Admin => registry.Admin;

    [Fact]
    public async Task PostWithoutDigestOpensASessionWithLocationAndUploadUuid()
    {
        var response = await Admin.SendAsync(HttpMethod.Post, $"/v2/{Repo}/blobs/uploads/");
        await Expect.StatusAsync(response, HttpStatusCode.Accepted);
        var uuid = response.Header("Docker-Upload-UUID");
        Assert.False(string.IsNullOrEmpty(uuid));
        var location = response.Headers.Location?.OriginalString;
        Assert.NotNull(location);
        Assert.Contains($"/v2/{Repo}/blobs/uploads/", location);
        Assert.Contains(uuid, location);
    }

    [Fact]
    public async Task MonolithicPostWithDigestCreatesTheBlob()
    {
        var content = Oci.RandomBytes(1000);
        var digest = Oci.Digest(content);
        var response = await Admin.PostBlobAsync(Repo, content, digest);
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        Assert.EndsWith($"/v2/{Repo}/blobs/{digest}", response.Headers.Location?.OriginalString);
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        Assert.Equal(content, await (await Admin.GetAsync($"/v2/{Repo}/blobs/{digest}")).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ChunksWithContentRangeAreAppendedAndReportedInTheRangeHeader()
    {
        var content = Oci.RandomBytes(25);
        var location = await Admin.StartUploadAsync(Repo);

        var first = await Admin.PatchAsync(location, content[..10], "0-9");
        await Expect.StatusAsync(first, HttpStatusCode.Accepted);
        Assert.Equal("0-9", first.Header("Range"));
        Assert.NotNull(first.Headers.Location);
        var second = await Admin.PatchAsync(first.Headers.Location!.OriginalString, content[10..], "10-24");
        await Expect.StatusAsync(second, HttpStatusCode.Accepted);
        Assert.Equal("0-24", second.Header("Range"));

        await CompleteAndVerifyAsync(second.Headers.Location!.OriginalString, content, []);
    }

    [Fact]
    public async Task ChunksWithoutContentRangeAreAppendedInOrder()
    {
        var content = Oci.RandomBytes(30);
        var location = await Admin.StartUploadAsync(Repo);
        var first = await Admin.PatchAsync(location, content[..12]);
        await Expect.StatusAsync(first, HttpStatusCode.Accepted);
        Assert.Equal("0-11", first.Header("Range"));
        var second = await Admin.SendAsync(HttpMethod.Patch, location, new StreamedContent(content[12..]));
        await Expect.StatusAsync(second, HttpStatusCode.Accepted);
        Assert.Equal("0-29", second.Header("Range"));
        await CompleteAndVerifyAsync(location, content, []);
    }

    [Fact]
    public async Task AnEmptyPatchIsAccepted()
    {
        var content = Oci.RandomBytes(8);
        var location = await Admin.StartUploadAsync(Repo);
        await Expect.StatusAsync(await Admin.PatchAsync(location, []), HttpStatusCode.Accepted);
        var chunk = await Admin.PatchAsync(location, content, "0-7");
        await Expect.StatusAsync(chunk, HttpStatusCode.Accepted);
        Assert.Equal("0-7", chunk.Header("Range"));
        await CompleteAndVerifyAsync(location, content, []);
    }

    [Theory]
    [InlineData("20-29")]
    [InlineData("0-9")]
    [InlineData("5-14")]
    public async Task AChunkThatDoesNotStartAtTheEndOfTheUploadReturns416(string range)
    {
        var location = await Admin.StartUploadAsync(Repo);
        await Expect.StatusAsync(await Admin.PatchAsync(location, Oci.RandomBytes(10), "0-9"), HttpStatusCode.Accepted);

        var response = await Admin.PatchAsync(location, Oci.RandomBytes(10), range);
        await Expect.StatusAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable);

        var status = await Admin.GetAsync(location);
        await Expect.StatusAsync(status, HttpStatusCode.NoContent);
        Assert.Equal("0-9", status.Header("Range"));
    }

    [Fact]
    public async Task UploadStatusReturns204WithTheReceivedRange()
    {
        var location = await Admin.StartUploadAsync(Repo);
        await Expect.StatusAsync(await Admin.PatchAsync(location, Oci.RandomBytes(16), "0-15"), HttpStatusCode.Accepted);
        var status = await Admin.GetAsync(location);
        await Expect.StatusAsync(status, HttpStatusCode.NoContent);
        Assert.Equal("0-15", status.Header("Range"));
        Assert.NotNull(status.Headers.Location);
        Assert.False(string.IsNullOrEmpty(status.Header("Docker-Upload-UUID")));
    }

    [Fact]
    public async Task FinalPutMayCarryTheLastChunk()
    {
        var content = Oci.RandomBytes(40);
        var location = await Admin.StartUploadAsync(Repo);
        await Expect.StatusAsync(await Admin.PatchAsync(location, content[..15], "0-14"), HttpStatusCode.Accepted);
        await CompleteAndVerifyAsync(location, content, content[15..]);
    }

    [Fact]
    public async Task FinalPutMayCarryTheWholeBlob()
    {
        var content = Oci.RandomBytes(40);
        await CompleteAndVerifyAsync(await Admin.StartUploadAsync(Repo), content, content);
    }

    [Fact]
    public async Task ACompletedSessionIsNoLongerKnown()
    {
        var content = Oci.RandomBytes(10);
        var location = await Admin.StartUploadAsync(Repo);
        await CompleteAndVerifyAsync(location, content, content);
        await Expect.ErrorAsync(await Admin.GetAsync(location), HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        await Expect.ErrorAsync(await Admin.PatchAsync(location, Oci.RandomBytes(4)), HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Fact]
    public async Task AMultiMegabyteBlobInChunksOfOddSizesIsStoredIntact()
    {
        var content = Oci.RandomBytes((3 << 20) + 12345);
        var location = await Admin.StartUploadAsync(Repo);
        var offset = 0;
        foreach (var size in new[] { (1 << 20) + 1, 7, (1 << 20) - 3, 1 << 19 })
        {
            var response = await Admin.PatchAsync(location, content[offset..(offset + size)], $"{offset}-{offset + size - 1}");
            await Expect.StatusAsync(response, HttpStatusCode.Accepted);
            offset += size;
            Assert.Equal($"0-{offset - 1}", response.Header("Range"));
        }
        await CompleteAndVerifyAsync(location, content, content[offset..]);
    }

    [Fact]
    public async Task DeletingASessionCancelsIt()
    {
        var location = await Admin.StartUploadAsync(Repo);
        await Expect.StatusAsync(await Admin.PatchAsync(location, Oci.RandomBytes(10)), HttpStatusCode.Accepted);
        await Expect.StatusAsync(await Admin.DeleteAsync(location), HttpStatusCode.NoContent);
        await Expect.ErrorAsync(await Admin.GetAsync(location), HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        await Expect.ErrorAsync(await Admin.PatchAsync(location, Oci.RandomBytes(10)), HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PATCH")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task AnUnknownSessionReturnsBlobUploadUnknown(string method)
    {
        var content = Oci.RandomBytes(4);
        var url = $"/v2/{Repo}/blobs/uploads/{Guid.NewGuid():N}?digest={Oci.Digest(content)}";
        var response = await Admin.SendAsync(new HttpMethod(method), url, method is "PATCH" or "PUT" ? OciClient.Bytes(content) : null);
        await Expect.ErrorAsync(response, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    public static TheoryData<string> HostileSessionIds => new()
    {
        "..%2F..%2Fetc",
        "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "registry.db",
        new string('a', 4096),
        Guid.NewGuid().ToString("N").ToUpperInvariant(),
    };

    [Theory]
    [MemberData(nameof(HostileSessionIds))]
    public async Task AHostileSessionIdReturnsBlobUploadUnknown(string id)
    {
        var content = Oci.RandomBytes(4);
        var url = $"/v2/{Repo}/blobs/uploads/{id}";
        await Expect.ErrorAsync(await Admin.GetAsync(url), HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        await Expect.ErrorAsync(await Admin.PatchAsync(url, content), HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        await Expect.ErrorAsync(await Admin.SendAsync(HttpMethod.Put, $"{url}?digest={Oci.Digest(content)}", OciClient.Bytes(content)),
            HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        await Expect.ErrorAsync(await Admin.DeleteAsync(url), HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Fact]
    public async Task ASessionIsUnknownInAnotherRepository()
    {
        var location = await Admin.StartUploadAsync(Repo);
        var elsewhere = location.Replace($"/v2/{Repo}/", "/v2/library/other/");
        Assert.NotEqual(location, elsewhere);
        await Expect.ErrorAsync(await Admin.GetAsync(elsewhere), HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        await Expect.ErrorAsync(await Admin.PatchAsync(elsewhere, Oci.RandomBytes(4)), HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    private async Task CompleteAndVerifyAsync(string location, byte[] content, byte[] lastChunk)
    {
        var digest = Oci.Digest(content);
        var separator = location.Contains('?') ? '&' : '?';
        var response = await Admin.SendAsync(HttpMethod.Put, $"{location}{separator}digest={digest}", OciClient.Bytes(lastChunk));
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        Assert.EndsWith($"/v2/{Repo}/blobs/{digest}", response.Headers.Location?.OriginalString);
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        var blob = await Admin.GetAsync($"/v2/{Repo}/blobs/{digest}");
        await Expect.StatusAsync(blob, HttpStatusCode.OK);
        Assert.Equal(content, await blob.Content.ReadAsByteArrayAsync());
    }
}
