using System.Net;
using System.Security.Cryptography;
using Azure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Registry.Grains.Abstractions;
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
