using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests;

/// <summary>
/// The registry process is SIGKILLed in the middle of writes and started again on the same data:
/// nothing half-written may become visible, and nothing acknowledged may be lost.
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper output) : RegistryTest(output)
{
    [Fact]
    public async Task KilledMidUploadLeavesNoPartialBlobAndKeepsCommittedImages()
    {
        var random = SeededRandom();
        var committed = SyntheticImage.Create(random);
        var pending = SyntheticImage.RandomBytes(random, 4 * 256 * 1024);
        using (var http = Registry.CreateClient())
        {
            var oci = Oci("library/crash", http);
            foreach (var blob in committed.Blobs)
            {
                await oci.PushBlobAsync(blob);
            }
            using var put = await oci.PutManifestAsync("stable", committed.Manifest);
            await oci.ExpectAsync(put, HttpStatusCode.Created, "PUT /v2/library/crash/manifests/stable");

            var location = await oci.StartUploadAsync();
            for (var offset = 0; offset < 3 * 256 * 1024; offset += 256 * 1024)
            {
                location = await oci.PatchChunkAsync(location, pending[offset..(offset + 256 * 1024)], offset);
            }
        }

        Registry.Kill();
        await Registry.RestartAsync();

        using var after = Registry.CreateClient();
        var restarted = Oci("library/crash", after);
        foreach (var (what, digest) in new[]
        {
            ("whole blob", OciImage.Sha256Digest(pending)),
            ("uploaded prefix", OciImage.Sha256Digest(pending.AsSpan(0, 3 * 256 * 1024))),
        })
        {
            var status = await restarted.HeadBlobAsync(digest);
            Assert.True(status == HttpStatusCode.NotFound,
                $"HEAD /v2/library/crash/blobs/{digest} ({what} of an upload interrupted by SIGKILL) answered {(int)status}, expected 404.\n{Registry.Tail()}");
        }

        await AssertManifestIntactAsync(restarted, "stable", committed.Manifest);
        foreach (var blob in committed.Blobs)
        {
            var digest = OciImage.Sha256Digest(blob);
            var served = await restarted.GetBlobAsync(digest);
            Assert.True(blob.AsSpan().SequenceEqual(served),
                $"GET /v2/library/crash/blobs/{digest} after restart returned different bytes.\n{Registry.Tail()}");
        }

        // The interrupted upload must not block a fresh upload of the same content.
        var pushedAgain = await restarted.PushBlobAsync(pending);
        Assert.Equal(HttpStatusCode.OK, await restarted.HeadBlobAsync(pushedAgain));
    }

    [Fact]
    public async Task KilledDuringConcurrentManifestPushesKeepsEveryAcknowledgedTagIntact()
    {
        const string repository = "library/crashm";
        const int workers = 4;
        var random = SeededRandom();
        var baseImage = SyntheticImage.Create(random, layerCount: 1, layerSize: 16 * 1024);
        var acknowledged = new ConcurrentDictionary<string, byte[]>();
        var unexpected = new ConcurrentQueue<string>();

        using (var http = Registry.CreateClient())
        {
            var oci = Oci(repository, http);
            foreach (var blob in baseImage.Blobs)
            {
                await oci.PushBlobAsync(blob);
            }

            var pushers = Enumerable.Range(0, workers)
                .Select(w => Task.Run(() => PushUntilKilledAsync(oci, w, new Random(random.Next()), baseImage, acknowledged, unexpected)))
                .ToArray();

            await WaitForAsync(() => acknowledged.Count >= 8 || pushers.All(p => p.IsCompleted), TimeSpan.FromSeconds(60));
            Assert.True(acknowledged.Count >= 8, $"Only {acknowledged.Count} manifest PUTs succeeded before the kill: {string.Join("\n", unexpected)}\n{Registry.Tail()}");
            await Task.Delay(random.Next(0, 1500));
            Registry.Kill();
            await Task.WhenAll(pushers);
        }
        Output.WriteLine($"{acknowledged.Count} tags acknowledged before SIGKILL");
        Assert.True(unexpected.IsEmpty, $"Unexpected answers while pushing:\n{string.Join("\n", unexpected)}\n{Registry.Tail()}");

        await Registry.RestartAsync();
        using var after = Registry.CreateClient();
        var restarted = Oci(repository, after);
        foreach (var (tag, manifest) in acknowledged)
        {
            await AssertManifestIntactAsync(restarted, tag, manifest);
        }

        var listed = await restarted.ListTagsAsync();
        var lost = acknowledged.Keys.Except(listed).ToList();
        Assert.True(lost.Count == 0, $"Acknowledged tags missing from tags/list after restart: {string.Join(", ", lost)}\n{Registry.Tail()}");
        foreach (var tag in listed)
        {
            var (status, body, digest, _) = await restarted.GetManifestAsync(tag);
            Assert.True(status == HttpStatusCode.OK && digest == OciImage.Sha256Digest(body),
                $"Listed tag {tag}: GET answered {(int)status}, Docker-Content-Digest {digest}, sha256(body) {OciImage.Sha256Digest(body)}.\n{Registry.Tail()}");
            var manifest = JsonNode.Parse(body)!;
            foreach (var blob in manifest["layers"]!.AsArray().Append(manifest["config"]))
            {
                var blobDigest = (string)blob!["digest"]!;
                var blobStatus = await restarted.HeadBlobAsync(blobDigest);
                Assert.True(blobStatus == HttpStatusCode.OK,
                    $"Listed tag {tag} references {blobDigest}, but HEAD answered {(int)blobStatus}.\n{Registry.Tail()}");
            }
        }
    }

    /// <summary>One pusher: a unique layer, then a manifest over it under a new tag, until the process dies.</summary>
    private static async Task PushUntilKilledAsync(
        OciClient oci, int worker, Random random, SyntheticImage baseImage,
        ConcurrentDictionary<string, byte[]> acknowledged, ConcurrentQueue<string> unexpected)
    {
        for (var i = 0; i < 10_000; i++)
        {
            var tag = $"w{worker}-{i}";
            try
            {
                var layer = SyntheticImage.RandomBytes(random, random.Next(1024, 32 * 1024));
                await oci.PushBlobAsync(layer);
                var image = SyntheticImage.WithBlobs(baseImage.Config, [.. baseImage.Layers, layer], note: tag);
                using var response = await oci.PutManifestAsync(tag, image.Manifest);
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    unexpected.Enqueue($"PUT manifests/{tag} -> {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                    return;
                }
                acknowledged[tag] = image.Manifest;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or InvalidOperationException)
            {
                return; // the process was killed under us
            }
        }
    }

    private async Task AssertManifestIntactAsync(OciClient oci, string tag, byte[] expected)
    {
        var (status, body, digest, _) = await oci.GetManifestAsync(tag);
        var expectedDigest = OciImage.Sha256Digest(expected);
        Assert.True(status == HttpStatusCode.OK && body.AsSpan().SequenceEqual(expected) && digest == expectedDigest,
            $"GET /v2/{oci.Repository}/manifests/{tag} after restart: {(int)status}, Docker-Content-Digest {digest}, " +
            $"sha256(body) {OciImage.Sha256Digest(body)}; expected 200 with {expectedDigest}.\n{Registry.Tail()}");
    }

    private Random SeededRandom()
    {
        var seed = Environment.GetEnvironmentVariable("REGISTRY_TEST_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        Output.WriteLine($"random seed {seed} (set REGISTRY_TEST_SEED to replay)");
        return new Random(seed);
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }
}
