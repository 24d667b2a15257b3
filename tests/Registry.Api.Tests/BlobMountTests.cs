using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Metadata;

namespace Registry.Api.Tests;

/// <summary>Cross-repository mounts: a blob is linked only when the caller may read it where it is.</summary>
public sealed class BlobMountTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private OciClient Admin => registry.Admin;

    [Fact]
    public async Task MountingABlobFromARepositoryThatHasItReturns201()
    {
        var blob = await Admin.PushBlobAsync("library/mount-source", Oci.RandomBytes());
        var response = await Admin.SendAsync(HttpMethod.Post, $"/v2/library/mount-target/blobs/uploads/?mount={blob.Digest}&from=library/mount-source");
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        Assert.EndsWith($"/v2/library/mount-target/blobs/{blob.Digest}", response.Headers.Location?.OriginalString);
        Assert.Equal(blob.Digest, response.Header("Docker-Content-Digest"));

        var head = await Admin.HeadAsync($"/v2/library/mount-target/blobs/{blob.Digest}");
        await Expect.StatusAsync(head, HttpStatusCode.OK);
        Assert.Equal(blob.Size, head.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task MountingFromARepositoryWithoutTheBlobOpensAnUploadSession()
    {
        await Admin.PushBlobAsync("library/mount-empty", Oci.RandomBytes());
        var missing = Oci.Digest(Oci.RandomBytes());
        var response = await Admin.SendAsync(HttpMethod.Post, $"/v2/library/mount-target2/blobs/uploads/?mount={missing}&from=library/mount-empty");
        await Expect.StatusAsync(response, HttpStatusCode.Accepted);
        Assert.Contains("/v2/library/mount-target2/blobs/uploads/", response.Headers.Location?.OriginalString);
        Assert.False(string.IsNullOrEmpty(response.Header("Docker-Upload-UUID")));
        await Expect.StatusAsync(await Admin.HeadAsync($"/v2/library/mount-target2/blobs/{missing}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task MountingFromARepositoryTheCallerCannotReadOpensAnUploadSession()
    {
        await registry.Services.GetRequiredService<IAccountStore>().UpsertProjectAsync("private1", false);
        var secret = await Admin.PushBlobAsync("private1/y", Oci.RandomBytes());

        var tokenResponse = await Admin.GetAsync("/service/token?service=registry&scope=repository:library/target:pull,push");
        var token = (await Expect.JsonAsync(tokenResponse)).GetProperty("token").GetString()!;
        var pusher = registry.WithBearer(token);

        var response = await pusher.SendAsync(HttpMethod.Post, $"/v2/library/target/blobs/uploads/?mount={secret.Digest}&from=private1/y");
        await Expect.StatusAsync(response, HttpStatusCode.Accepted);
        Assert.Contains("/v2/library/target/blobs/uploads/", response.Headers.Location?.OriginalString);
        await Expect.StatusAsync(await Admin.HeadAsync($"/v2/library/target/blobs/{secret.Digest}"), HttpStatusCode.NotFound);
    }
}
