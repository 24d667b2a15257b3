using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Abstractions;

namespace Registry.Api.Tests;

/// <summary>
/// Garbage collection through Harbor's <c>/system/gc</c> API and real pushes and pulls: what is
/// unreachable goes, what any manifest, index or referrer needs stays, and a push racing the
/// sweep is either kept whole or refused.
/// </summary>
public sealed class GcApiTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private HarborApi Admin => registry.AdminApi;
    private OciClient Client => registry.Admin;

    private static object Manual(bool dryRun = false, bool deleteUntagged = false, int workers = 2) =>
        new { schedule = new { type = "Manual" }, parameters = new { dry_run = dryRun, delete_untagged = deleteUntagged, workers, time_window = 0 } };

    /// <summary>Runs a collection now (window 0) and waits for it; returns its history entry.</summary>
    private async Task<JsonElement> CollectAsync(bool dryRun = false)
    {
        // Links made in the same millisecond as the run's start are inside the window.
        await Task.Delay(5);
        var response = await Admin.PostAsync("/system/gc/schedule", Manual(dryRun));
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        var id = long.Parse(response.Headers.Location!.OriginalString.Split('/')[^1]);
        return await WaitAsync(id);
    }

    private async Task<JsonElement> WaitAsync(long id)
    {
        for (var i = 0; i < 600; i++)
        {
            var run = await Admin.JsonAsync($"/system/gc/{id}");
            if (run.GetProperty("job_status").GetString() is "Success" or "Error" or "Stopped")
            {
                var status = run.GetProperty("job_status").GetString();
                if (status != "Success")
                    Assert.Fail($"gc {id} ended {status}:\n{await (await Admin.GetAsync($"/system/gc/{id}/log")).Content.ReadAsStringAsync()}");
                return run;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"gc {id} did not end");
    }

    /// <summary>Deleted artifacts wait in the recycle bin when it exists; empty it so their blobs become garbage.</summary>
    private async Task EmptyRecycleBinAsync(string project) => await Admin.DeleteAsync($"/projects/{project}/recyclebin");

    private async Task ExpectBlobAsync(string repository, Descriptor blob, HttpStatusCode status) =>
        await Expect.StatusAsync(await Client.GetAsync($"/v2/{repository}/blobs/{blob.Digest}"), status);

    [Fact]
    public async Task DeleteThenGcThenRePushAndPullWorks()
    {
        const string repository = "library/gc-cycle";
        var config = Oci.Config();
        var layer = Oci.RandomBytes(2048);
        var configDescriptor = await Client.PushBlobAsync(repository, config, Oci.OciConfig);
        var layerDescriptor = await Client.PushBlobAsync(repository, layer, Oci.OciLayer);
        var body = Oci.Manifest(configDescriptor, [layerDescriptor]);
        var manifest = await Client.PushManifestAsync(repository, "v1", body, Oci.OciManifest);

        await Expect.StatusAsync(await Client.DeleteAsync($"/v2/{repository}/manifests/{manifest.Digest}"), HttpStatusCode.Accepted);
        await EmptyRecycleBinAsync("library");
        var run = await CollectAsync();
        Assert.True(run.GetProperty("blobs_deleted").GetInt64() >= 2);
        await ExpectBlobAsync(repository, layerDescriptor, HttpStatusCode.NotFound);
        await ExpectBlobAsync(repository, configDescriptor, HttpStatusCode.NotFound);

        await Client.PushBlobAsync(repository, config, Oci.OciConfig);
        await Client.PushBlobAsync(repository, layer, Oci.OciLayer);
        await Client.PushManifestAsync(repository, "v1", body, Oci.OciManifest);
        var pulled = await Client.GetAsync($"/v2/{repository}/manifests/v1", Oci.OciManifest);
        await Expect.StatusAsync(pulled, HttpStatusCode.OK);
        Assert.Equal(body, await pulled.Content.ReadAsByteArrayAsync());
        var blob = await Client.GetAsync($"/v2/{repository}/blobs/{layerDescriptor.Digest}");
        await Expect.StatusAsync(blob, HttpStatusCode.OK);
        Assert.Equal(layer, await blob.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task MultiArchIndexChildrenAndReferrersSurviveWhileLooseBlobsGo()
    {
        const string repository = "library/gc-multi";
        var amd64 = await Client.PushImageAsync(repository, "amd64");
        var arm64 = await Client.PushImageAsync(repository, "arm64");
        var index = Oci.Index([amd64.Manifest.ToJson("linux", "amd64"), arm64.Manifest.ToJson("linux", "arm64")]);
        var indexDescriptor = await Client.PushManifestAsync(repository, "multi", index, Oci.OciIndex);
        var sbom = await Client.PushImageAsync(repository, "sbom", subject: indexDescriptor, artifactType: "application/spdx+json");
        var loose = await Client.PushBlobAsync(repository, Oci.RandomBytes());

        await CollectAsync();

        await ExpectBlobAsync(repository, loose, HttpStatusCode.NotFound);
        await Expect.StatusAsync(await Client.GetAsync($"/v2/{repository}/manifests/multi", Oci.OciIndex), HttpStatusCode.OK);
        foreach (var image in new[] { amd64, arm64, sbom })
        {
            await Expect.StatusAsync(await Client.GetAsync($"/v2/{repository}/manifests/{image.Manifest.Digest}", Oci.OciManifest), HttpStatusCode.OK);
            await ExpectBlobAsync(repository, image.Config, HttpStatusCode.OK);
            await ExpectBlobAsync(repository, image.Layer, HttpStatusCode.OK);
        }
        var referrers = await Expect.JsonAsync(await Client.GetAsync($"/v2/{repository}/referrers/{indexDescriptor.Digest}"));
        Assert.Contains(referrers.GetProperty("manifests").EnumerateArray(), m => m.GetProperty("digest").GetString() == sbom.Manifest.Digest);
    }

    [Fact]
    public async Task ADryRunReportsWhatWouldGoAndDeletesNothing()
    {
        const string repository = "library/gc-dry";
        var loose = await Client.PushBlobAsync(repository, Oci.RandomBytes());
        var run = await CollectAsync(dryRun: true);
        var parameters = JsonDocument.Parse(run.GetProperty("job_parameters").GetString()!).RootElement;
        Assert.True(parameters.GetProperty("dry_run").GetBoolean());
        var log = await (await Admin.GetAsync($"/system/gc/{run.GetProperty("id").GetInt64()}/log")).Content.ReadAsStringAsync();
        Assert.Contains($"would delete blob {loose.Digest}", log);
        await ExpectBlobAsync(repository, loose, HttpStatusCode.OK);
    }

    [Fact]
    public async Task HistoryLogStopAndValidationFollowHarbor()
    {
        var run = await CollectAsync();
        var id = run.GetProperty("id").GetInt64();
        Assert.Equal("GARBAGE_COLLECTION", run.GetProperty("job_name").GetString());
        Assert.Equal("MANUAL", run.GetProperty("job_kind").GetString());

        var list = await Admin.GetAsync("/system/gc?page=1&page_size=100");
        await Expect.StatusAsync(list, HttpStatusCode.OK);
        Assert.True(int.Parse(list.Header("X-Total-Count")!) >= 1);
        var runs = await list.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, runs.EnumerateArray().Max(r => r.GetProperty("id").GetInt64()));

        var log = await Admin.GetAsync($"/system/gc/{id}/log");
        await Expect.StatusAsync(log, HttpStatusCode.OK);
        Assert.StartsWith("text/plain", log.Content.Headers.ContentType!.ToString());
        Assert.Contains($"garbage collection {id} started", await log.Content.ReadAsStringAsync());

        await HarborExpect.ErrorAsync(await Admin.PutAsync($"/system/gc/{id}", null), HttpStatusCode.Conflict);
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/system/gc/987654"), HttpStatusCode.NotFound);
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/system/gc/987654/log"), HttpStatusCode.NotFound);
        await HarborExpect.ErrorAsync(await Admin.PutAsync("/system/gc/987654", null), HttpStatusCode.NotFound);

        await HarborExpect.ErrorAsync(await Admin.PostAsync("/system/gc/schedule", Manual(workers: 9)), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.PutAsync("/system/gc/schedule", new { schedule = new { type = "Custom", cron = "not a cron" } }), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.PutAsync("/system/gc/schedule", new { parameters = new { workers = 1 } }), HttpStatusCode.BadRequest);

        var (_, password) = await Admin.CreateUserAsync("gc-outsider");
        var outsider = registry.Api("gc-outsider", password);
        await HarborExpect.ErrorAsync(await outsider.GetAsync("/system/gc"), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await outsider.PostAsync("/system/gc/schedule", Manual()), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await registry.AnonymousApi.GetAsync("/system/gc/schedule"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TheScheduleIsSavedShownAndRunsWhenDue()
    {
        var created = await Admin.PostAsync("/system/gc/schedule",
            new { schedule = new { type = "Custom", cron = "0 30 4 * * *" }, parameters = new { dry_run = true, workers = 3 } });
        await Expect.StatusAsync(created, HttpStatusCode.Created);
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/system/gc/schedule", new { schedule = new { type = "Daily" } }), HttpStatusCode.Conflict);

        var schedule = await Admin.JsonAsync("/system/gc/schedule");
        Assert.Equal("Custom", schedule.GetProperty("schedule").GetProperty("type").GetString());
        Assert.Equal("0 30 4 * * *", schedule.GetProperty("schedule").GetProperty("cron").GetString());
        var next = schedule.GetProperty("schedule").GetProperty("next_scheduled_time").GetDateTimeOffset();
        Assert.Equal((4, 30), (next.Hour, next.Minute));
        Assert.Equal(3, JsonDocument.Parse(schedule.GetProperty("job_parameters").GetString()!).RootElement.GetProperty("workers").GetInt32());

        var gc = registry.Services.GetRequiredService<IGrainFactory>().GetGrain<IGcGrain>(IGcGrain.Key);
        Assert.Null(await gc.RunDueAsync(next.AddSeconds(-1)));
        var id = await gc.RunDueAsync(next.AddSeconds(1));
        Assert.NotNull(id);
        var run = await WaitAsync(id.Value);
        Assert.Equal("SCHEDULE", run.GetProperty("job_kind").GetString());

        await Expect.StatusAsync(await Admin.PutAsync("/system/gc/schedule", new { schedule = new { type = "Daily" } }), HttpStatusCode.OK);
        schedule = await Admin.JsonAsync("/system/gc/schedule");
        Assert.Equal("Daily", schedule.GetProperty("schedule").GetProperty("type").GetString());
        Assert.Equal(TimeSpan.Zero, schedule.GetProperty("schedule").GetProperty("next_scheduled_time").GetDateTimeOffset().TimeOfDay);

        await Expect.StatusAsync(await Admin.PutAsync("/system/gc/schedule", new { schedule = new { type = "None" } }), HttpStatusCode.OK);
        schedule = await Admin.JsonAsync("/system/gc/schedule");
        Assert.Equal("None", schedule.GetProperty("schedule").GetProperty("type").GetString());
    }

    [Fact]
    public async Task PushesRacingGcWithWindowZeroAreEitherPullableOrRefused()
    {
        const string repository = "library/gc-race";
        var accepted = new List<(string Tag, Descriptor Config, Descriptor Layer, byte[] LayerBytes)>();
        var refused = 0;
        for (var round = 0; round < 6; round++)
        {
            await Task.Delay(2);
            var started = await Admin.PostAsync("/system/gc/schedule", Manual(workers: 3));
            await Expect.StatusAsync(started, HttpStatusCode.Created);
            var gcId = long.Parse(started.Headers.Location!.OriginalString.Split('/')[^1]);
            var pushes = Enumerable.Range(0, 4).Select(async i =>
            {
                var tag = $"r{round}-{i}";
                var config = Oci.Config();
                var layer = Oci.RandomBytes(512);
                var configDescriptor = Oci.Describe(config, Oci.OciConfig);
                var layerDescriptor = Oci.Describe(layer, Oci.OciLayer);
                foreach (var (bytes, descriptor) in new[] { (config, configDescriptor), (layer, layerDescriptor) })
                {
                    var blob = await Client.PostBlobAsync(repository, bytes, descriptor.Digest);
                    if (blob.StatusCode != HttpStatusCode.Created)
                    {
                        Assert.Contains("BLOB_UPLOAD_INVALID", await blob.Content.ReadAsStringAsync());
                        return ((string, Descriptor, Descriptor, byte[])?)null;
                    }
                }
                var put = await Client.PutManifestAsync(repository, tag, Oci.Manifest(configDescriptor, [layerDescriptor]), Oci.OciManifest);
                if (put.StatusCode == HttpStatusCode.Created) return (tag, configDescriptor, layerDescriptor, layer);
                Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
                Assert.Contains("MANIFEST_BLOB_UNKNOWN", await put.Content.ReadAsStringAsync());
                return null;
            }).ToList();
            foreach (var result in await Task.WhenAll(pushes))
            {
                if (result is { } ok) accepted.Add(ok);
                else refused++;
            }
            await WaitAsync(gcId);
        }

        await CollectAsync();
        Assert.NotEmpty(accepted);
        foreach (var (tag, config, layer, layerBytes) in accepted)
        {
            await Expect.StatusAsync(await Client.GetAsync($"/v2/{repository}/manifests/{tag}", Oci.OciManifest), HttpStatusCode.OK);
            await ExpectBlobAsync(repository, config, HttpStatusCode.OK);
            var pulled = await Client.GetAsync($"/v2/{repository}/blobs/{layer.Digest}");
            await Expect.StatusAsync(pulled, HttpStatusCode.OK);
            Assert.Equal(layerBytes, await pulled.Content.ReadAsByteArrayAsync());
        }
        Assert.Equal(24, accepted.Count + refused);
    }
}
