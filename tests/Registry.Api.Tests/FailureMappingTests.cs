using System.Net;
using System.Security.Cryptography;
using Azure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using Registry.Grains.Storage;

namespace Registry.Api.Tests;

/// <summary>
/// A backing service out of reach is a 503 UNAVAILABLE with Retry-After (retry, nothing happened);
/// a bug is a 500 UNKNOWN; both in the OCI error format.
/// </summary>
public sealed class FailureMappingTests
{
    public static TheoryData<string> Failures => ["azure-503", "npgsql-io", "bug"];

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task AFailingBlobStoreIsAnsweredInTheOciErrorFormat(string failure)
    {
        await using var registry = new RegistryFactory
        {
            Customize = b => b.ConfigureTestServices(s =>
            {
                s.RemoveAll<IBlobStore>();
                s.AddSingleton<IBlobStore>(new FailingBlobStore(failure));
            }),
        };
        var admin = registry.Admin;
        var content = "x"u8.ToArray();
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        using var response = await admin.PostBlobAsync("library/down", content, digest);
        var body = await response.Content.ReadAsStringAsync();
        if (failure == "bug")
        {
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Contains("\"UNKNOWN\"", body);
        }
        else
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("\"UNAVAILABLE\"", body);
            Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        }
    }

    /// <summary>
    /// A completing PUT whose blob is stored but whose link fails (the database connection drops,
    /// or the repository's grain sits on a node just killed) answers 503, and the same PUT retried
    /// succeeds: the session and what it stored are kept, not thrown away with the failure.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ACompletionFailingAfterTheBlobIsStoredCanBeRetried(bool lastChunkInPut)
    {
        var flaky = new FlakyLinks();
        await using var registry = new RegistryFactory
        {
            Customize = b => b.ConfigureTestServices(s =>
            {
                var original = s.Last(d => d.ServiceType == typeof(IRepositoryStore));
                s.Remove(original);
                s.AddSingleton<IRepositoryStore>(sp => flaky.Wrap((IRepositoryStore)original.ImplementationFactory!(sp)));
            }),
        };
        var admin = registry.Admin;
        const string repo = "library/retried";
        var content = Oci.RandomBytes(3000);
        var digest = Oci.Digest(content);
        var location = await admin.StartUploadAsync(repo);
        var patched = await admin.PatchAsync(location, lastChunkInPut ? content[..1000] : content);
        await Expect.StatusAsync(patched, HttpStatusCode.Accepted);
        var put = $"{patched.Headers.Location!.OriginalString}{(location.Contains('?') ? '&' : '?')}digest={digest}";
        var last = lastChunkInPut ? content[1000..] : [];

        flaky.FailNext = 1;
        var failed = await admin.SendAsync(HttpMethod.Put, put, OciClient.Bytes(last));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Contains("\"UNAVAILABLE\"", await failed.Content.ReadAsStringAsync());

        // Chunks may not follow a stored blob; only the completing PUT.
        var chunk = await admin.PatchAsync(put, [1, 2, 3]);
        await Expect.ErrorAsync(chunk, HttpStatusCode.BadRequest, "BLOB_UPLOAD_INVALID");
        var wrong = await admin.SendAsync(HttpMethod.Put, put.Replace(digest, Oci.Digest([9])), OciClient.Bytes(last));
        await Expect.ErrorAsync(wrong, HttpStatusCode.BadRequest, "DIGEST_INVALID");

        var retried = await admin.SendAsync(HttpMethod.Put, put, OciClient.Bytes(last));
        await Expect.StatusAsync(retried, HttpStatusCode.Created);
        Assert.Equal(digest, retried.Header("Docker-Content-Digest"));
        var blob = await admin.GetAsync($"/v2/{repo}/blobs/{digest}");
        await Expect.StatusAsync(blob, HttpStatusCode.OK);
        Assert.Equal(content, await blob.Content.ReadAsByteArrayAsync());
        // The session is closed now.
        var again = await admin.SendAsync(HttpMethod.Put, put, OciClient.Bytes(last));
        await Expect.ErrorAsync(again, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    private sealed class FlakyLinks
    {
        public int FailNext;

        public IRepositoryStore Wrap(IRepositoryStore inner) => new Store(inner, this);

        private sealed class Store(IRepositoryStore inner, FlakyLinks owner) : IRepositoryStore
        {
            public Task<RepositorySnapshot> LoadAsync(string repository, CancellationToken cancellationToken = default) => inner.LoadAsync(repository, cancellationToken);
            public Task<byte[]?> GetManifestContentAsync(string repository, Digest digest, CancellationToken cancellationToken = default) => inner.GetManifestContentAsync(repository, digest, cancellationToken);
            public Task SaveManifestAsync(ManifestRecord manifest, string? tag, CancellationToken cancellationToken = default) => inner.SaveManifestAsync(manifest, tag, cancellationToken);
            public Task DeleteManifestsAsync(string repository, IReadOnlyList<Digest> digests, string @operator, CancellationToken cancellationToken = default) => inner.DeleteManifestsAsync(repository, digests, @operator, cancellationToken);
            public Task<BinRestore> RestoreAsync(string repository, long binId, CancellationToken cancellationToken = default) => inner.RestoreAsync(repository, binId, cancellationToken);
            public Task DeleteTagAsync(string repository, string tag, CancellationToken cancellationToken = default) => inner.DeleteTagAsync(repository, tag, cancellationToken);
            public Task UnlinkBlobAsync(string repository, Digest digest, CancellationToken cancellationToken = default) => inner.UnlinkBlobAsync(repository, digest, cancellationToken);
            public Task<bool> DeleteIfEmptyAsync(string repository, CancellationToken cancellationToken = default) => inner.DeleteIfEmptyAsync(repository, cancellationToken);

            public Task<bool> UnlinkUnreferencedBlobAsync(string repository, Digest digest, CancellationToken cancellationToken = default) => inner.UnlinkUnreferencedBlobAsync(repository, digest, cancellationToken);

            public Task<bool> LinkBlobAsync(string repository, Digest digest, long size, CancellationToken cancellationToken = default) =>
                Interlocked.Decrement(ref owner.FailNext) >= 0
                    ? throw new NpgsqlException("Exception while reading from stream", new IOException("reset"))
                    : inner.LinkBlobAsync(repository, digest, size, cancellationToken);
        }
    }

    private sealed class FailingBlobStore(string failure) : IBlobStore
    {
        private Exception Failure() => failure switch
        {
            "azure-503" => new RequestFailedException(503, "server busy"),
            "npgsql-io" => new NpgsqlException("Exception while reading from stream", new IOException("reset")),
            _ => new InvalidOperationException("a bug"),
        };

        public ValueTask<long?> GetSizeAsync(Digest digest, CancellationToken cancellationToken = default) => throw Failure();
        public ValueTask<BlobContent?> OpenReadAsync(Digest digest, CancellationToken cancellationToken = default) => throw Failure();
        public ValueTask<bool> DeleteAsync(Digest digest, CancellationToken cancellationToken = default) => throw Failure();
        public ValueTask<long> GetUploadSizeAsync(string uploadId, CancellationToken cancellationToken = default) => throw Failure();
        public ValueTask<long> AppendUploadAsync(string uploadId, long offset, Stream source, IncrementalHash? hash, CancellationToken cancellationToken = default) => throw Failure();
        public ValueTask<Stream> OpenUploadAsync(string uploadId, CancellationToken cancellationToken = default) => throw Failure();
        public ValueTask CommitUploadAsync(string uploadId, Digest digest, CancellationToken cancellationToken = default) => throw Failure();
        public ValueTask DeleteUploadAsync(string uploadId, CancellationToken cancellationToken = default) => throw Failure();
        public IAsyncEnumerable<StoredUpload> ListUploadsAsync(CancellationToken cancellationToken = default) => throw Failure();
        public ValueTask<Uri?> GetDownloadUrlAsync(Digest digest, TimeSpan lifetime, CancellationToken cancellationToken = default) => throw Failure();
    }
}
