extern alias apphost;
using apphost::Registry.AppHost.Local;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Registry.Grains;
using Registry.Grains.Metadata;
using Registry.Grains.Storage;

namespace Registry.Api.Tests;

/// <summary>
/// One Azurite and two registries keeping their blobs in it (a container each): one answers blob
/// GETs with a redirect to a signed URL, the other streams them as usual.
/// </summary>
public sealed class AzureRegistries : IAsyncLifetime
{
    private readonly string _dataPath = Directory.CreateTempSubdirectory("registry-azurite-").FullName;

    public AzureRegistries()
    {
        Azurite = new LocalAzurite(_dataPath);
        Redirecting = new RegistryFactory { Customize = builder => UseAzure(builder, redirect: true) };
        Streaming = new RegistryFactory { Customize = builder => UseAzure(builder, redirect: false) };
    }

    public LocalAzurite Azurite { get; }
    public RegistryFactory Redirecting { get; }
    public RegistryFactory Streaming { get; }

    private void UseAzure(IWebHostBuilder builder, bool redirect)
    {
        builder.UseSetting("Registry:RedirectBlobDownloads", redirect ? "true" : "false");
        builder.UseSetting("Registry:BlobRedirectMinutes", "5");
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IBlobStore>();
            services.AddAzureBlobs(Azurite.ConnectionString, redirect ? "redirecting" : "streaming");
        });
    }

    public Task InitializeAsync() => Azurite.StartAsync();

    public async Task DisposeAsync()
    {
        await Redirecting.DisposeAsync();
        await Streaming.DisposeAsync();
        await Azurite.DisposeAsync();
        try { Directory.Delete(_dataPath, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Blob GETs with <c>Registry:RedirectBlobDownloads</c> over the Azure Blob driver, and the same store without it.</summary>
public sealed class AzureBlobRedirectTests(AzureRegistries registries) : IClassFixture<AzureRegistries>
{
    private const string Repo = "library/azure";

    /// <summary>A client with no registry credentials, as a docker daemon following a redirect to the store is.</summary>
    private static readonly HttpClient Plain = new();

    [Fact]
    public async Task AGetIsRedirectedToASignedUrlThatServesTheExactBytes()
    {
        var admin = registries.Redirecting.Admin;
        var content = Oci.RandomBytes(3 << 20);
        var blob = await admin.PushBlobAsync(Repo, content);

        var response = await admin.GetAsync($"/v2/{Repo}/blobs/{blob.Digest}");
        await Expect.StatusAsync(response, HttpStatusCode.TemporaryRedirect);
        Assert.Equal(blob.Digest, response.Header("Docker-Content-Digest"));
        var location = response.Headers.Location!;
        Assert.True(location.IsAbsoluteUri);
        Assert.StartsWith(registries.Azurite.BlobEndpoint + "/redirecting/blobs/sha256/", location.AbsoluteUri);
        Assert.Contains("sig=", location.Query);
        Assert.DoesNotContain(LocalAzurite.AccountKey, location.AbsoluteUri);

        var followed = await Plain.GetAsync(location);
        await Expect.StatusAsync(followed, HttpStatusCode.OK);
        Assert.Equal(content, await followed.Content.ReadAsByteArrayAsync());

        // The store answers ranges on the signed URL itself.
        var ranged = await Plain.SendAsync(new HttpRequestMessage(HttpMethod.Get, location) { Headers = { { "Range", "bytes=100-199" } } });
        await Expect.StatusAsync(ranged, HttpStatusCode.PartialContent);
        Assert.Equal(content.AsSpan(100, 100).ToArray(), await ranged.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AChunkedPushIsRedirectedToo()
    {
        var admin = registries.Redirecting.Admin;
        var content = Oci.RandomBytes(5 << 20);
        var location = await admin.StartUploadAsync(Repo);
        var first = await admin.PatchAsync(location, content[..(2 << 20)], $"0-{(2 << 20) - 1}");
        await Expect.StatusAsync(first, HttpStatusCode.Accepted);
        var next = first.Headers.Location!.OriginalString;
        var digest = Oci.Digest(content);
        var complete = await admin.SendAsync(HttpMethod.Put, $"{next}{(next.Contains('?') ? '&' : '?')}digest={digest}", OciClient.Bytes(content[(2 << 20)..]));
        await Expect.StatusAsync(complete, HttpStatusCode.Created);

        var response = await admin.GetAsync($"/v2/{Repo}/blobs/{digest}");
        await Expect.StatusAsync(response, HttpStatusCode.TemporaryRedirect);
        Assert.Equal(content, await Plain.GetByteArrayAsync(response.Headers.Location));
    }

    [Fact]
    public async Task AHeadIsAnsweredDirectly()
    {
        var admin = registries.Redirecting.Admin;
        var blob = await admin.PushBlobAsync(Repo, Oci.RandomBytes(777));
        var response = await admin.HeadAsync($"/v2/{Repo}/blobs/{blob.Digest}");
        await Expect.StatusAsync(response, HttpStatusCode.OK);
        Assert.Equal(777, response.Content.Headers.ContentLength);
        Assert.Equal(blob.Digest, response.Header("Docker-Content-Digest"));
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task UnknownBlobsAndCallersWithoutPullAreNotRedirected()
    {
        var registry = registries.Redirecting;
        await Expect.ErrorAsync(await registry.Admin.GetAsync($"/v2/{Repo}/blobs/{Oci.Digest(Oci.RandomBytes())}"), HttpStatusCode.NotFound, "BLOB_UNKNOWN");

        await registry.Services.GetRequiredService<IAccountStore>().UpsertProjectAsync("hidden", false);
        var blob = await registry.Admin.PushBlobAsync("hidden/app", Oci.RandomBytes());
        var anonymous = await registry.Anonymous.GetAsync($"/v2/hidden/app/blobs/{blob.Digest}");
        await Expect.StatusAsync(anonymous, HttpStatusCode.Unauthorized);
        Assert.Null(anonymous.Headers.Location);
    }

    [Fact]
    public async Task ABlobWhoseStoredCopyIsGoneIsUnknownRatherThanRedirected()
    {
        var registry = registries.Redirecting;
        var blob = await registry.Admin.PushBlobAsync(Repo, Oci.RandomBytes());
        Assert.True(await registry.Services.GetRequiredService<IBlobStore>().DeleteAsync(Registry.Grains.Abstractions.Digest.Parse(blob.Digest)));
        await Expect.ErrorAsync(await registry.Admin.GetAsync($"/v2/{Repo}/blobs/{blob.Digest}"), HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task WithTheOptionOffTheBlobIsStreamedFromTheStore()
    {
        var admin = registries.Streaming.Admin;
        var content = Oci.RandomBytes(3 << 20);
        var blob = await admin.PushBlobAsync(Repo, content);
        var azure = registries.Streaming.Services.GetRequiredService<AzureBlobStore>();
        Assert.Equal(content.Length, await azure.GetSizeAsync(Registry.Grains.Abstractions.Digest.Parse(blob.Digest)));

        var response = await admin.GetAsync($"/v2/{Repo}/blobs/{blob.Digest}");
        await Expect.StatusAsync(response, HttpStatusCode.OK);
        Assert.Null(response.Headers.Location);
        Assert.Equal(content.Length, response.Content.Headers.ContentLength);
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());

        var ranged = await admin.SendAsync(HttpMethod.Get, $"/v2/{Repo}/blobs/{blob.Digest}", configure: r => r.Headers.TryAddWithoutValidation("Range", "bytes=2000000-"));
        await Expect.StatusAsync(ranged, HttpStatusCode.PartialContent);
        Assert.Equal(content.AsSpan(2_000_000).ToArray(), await ranged.Content.ReadAsByteArrayAsync());
    }
}
