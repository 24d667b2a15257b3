using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests;

/// <summary>
/// The distributed profile with real servers: two registry nodes in one Orleans cluster over
/// Redis, metadata in PostgreSQL, blobs in Azurite. Nodes are killed and backing services
/// stopped under load; nothing pushed successfully may be lost or corrupted.
/// </summary>
public sealed class DistributedTests(ITestOutputHelper output) : IAsyncLifetime
{
    private DistributedCluster cluster = null!;
    private readonly TempDirectory scratch = new("registry-e2e-work");

    private RegistryProcess A => cluster.Nodes[0];
    private RegistryProcess B => cluster.Nodes[1];
    private ToolRunner Tools => new(output, () => cluster.Tail());

    public async Task InitializeAsync() => cluster = await DistributedCluster.StartAsync(output);

    public async Task DisposeAsync()
    {
        await cluster.DisposeAsync();
        scratch.Dispose();
    }

    [Fact]
    public async Task SkopeoPushesThroughOneNodeAndPullsThroughTheOther()
    {
        var image = await new OciLayoutBuilder(Tools, scratch.Path)
            .WithFile("/app/payload.bin", SyntheticImage.RandomBytes(Random.Shared, 3 << 20))
            .WithEnv("E2E=cluster")
            .BuildAsync();
        var digestFile = scratch.Combine("digest");
        await Tools.RunOkAsync("skopeo", ["copy", "--format", "oci", "--digestfile", digestFile, "--dest-tls-verify=false",
            "--dest-creds", A.Credentials, image.Reference, $"docker://{A.Host}/library/cluster:v1"]);
        var pushed = File.ReadAllText(digestFile).Trim();

        var back = scratch.Combine("back");
        await Tools.RunOkAsync("skopeo", ["copy", "--src-tls-verify=false", "--src-creds", B.Credentials,
            $"docker://{B.Host}/library/cluster:v1", $"oci:{back}:v1"]);
        var copied = OciImage.Read(back, "v1");
        Assert.Equal(pushed, copied.ManifestDigest);
        Assert.Equal(image.LayerDigests, copied.LayerDigests);

        // A token issued by node A is accepted by node B: both sign with the cluster's key.
        using var http = new HttpClient();
        var token = await GetTokenAsync(http, A, "repository:library/cluster:pull");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(B.BaseAddress, "v2/library/cluster/tags/list"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task FailedLoginsThroughBothNodesCountTowardsOneLimit()
    {
        using var http = new HttpClient();
        static AuthenticationHeaderValue Basic(string credentials) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        using (var create = new HttpRequestMessage(HttpMethod.Post, new Uri(A.BaseAddress, "api/v2.0/users"))
        {
            Content = new StringContent("""{"username":"guessed","email":"guessed@example.com","realname":"Guessed","password":"Right1Password"}""", Encoding.UTF8, "application/json"),
        })
        {
            create.Headers.Authorization = Basic(A.Credentials);
            using var created = await http.SendAsync(create);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        async Task<HttpResponseMessage> LoginAsync(RegistryProcess node, string password)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node.BaseAddress, "v2/"));
            request.Headers.Authorization = Basic("guessed:" + password);
            return await http.SendAsync(request);
        }

        // Ten wrong passwords, half through each node: each node alone has seen only five.
        for (var i = 0; i < 10; i++)
        {
            using var wrong = await LoginAsync(i % 2 == 0 ? A : B, $"Wrong{i}Password");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        foreach (var node in new[] { A, B })
        {
            using var refused = await LoginAsync(node, "Right1Password");
            Assert.True(refused.StatusCode == HttpStatusCode.TooManyRequests, $"{node.BaseAddress}: {(int)refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task WebhooksOfPushesThroughBothNodesAreDeliveredOnceEachInTheOrderOfThePushes()
    {
        // Both nodes run the dispatcher over the one outbox: each event must go out once, not once per node.
        await using var receiver = new Registry.Api.Tests.WebhookReceiver();

        using var httpA = A.CreateClient();
        using var httpB = B.CreateClient();
        async Task SendOkAsync(HttpClient http, HttpMethod method, string path, string json)
        {
            using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            using var response = await http.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        await SendOkAsync(httpA, HttpMethod.Put, "api/v2.0/configurations", """{"webhook_allowed_targets":"127.0.0.1"}""");
        await SendOkAsync(httpA, HttpMethod.Post, "api/v2.0/projects", """{"project_name":"hooked","metadata":{"public":"false"}}""");
        await SendOkAsync(httpB, HttpMethod.Post, "api/v2.0/projects/hooked/webhook/policies",
            $$"""{"name":"cluster","enabled":true,"event_types":["PUSH_ARTIFACT"],"targets":[{"type":"http","address":"{{receiver.Url()}}"}]}""");

        const int pushes = 8;
        var ociA = new OciClient(httpA, "hooked/app", cluster.Tail);
        var ociB = new OciClient(httpB, "hooked/app", cluster.Tail);
        var image = SyntheticImage.Create(new Random(11), layerCount: 1);
        foreach (var blob in image.Blobs) await ociA.PushBlobAsync(blob);
        for (var i = 0; i < pushes; i++)
        {
            var oci = i % 2 == 0 ? ociA : ociB;
            using var put = await oci.PutManifestAsync($"v{i}", SyntheticImage.WithBlobs(image.Config, image.Layers, $"hook {i}").Manifest);
            await oci.ExpectAsync(put, HttpStatusCode.Created, $"PUT hooked/app:v{i}");
        }

        var clock = Stopwatch.StartNew();
        while (receiver.Received.Count < pushes && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(200);
        await Task.Delay(3000); // a duplicate from the other node's dispatcher would arrive within a few polls

        var received = receiver.Received.ToList();
        var tags = received.Select(e => e.Json.GetProperty("event_data").GetProperty("resources")[0].GetProperty("tag").GetString()).ToList();
        output.WriteLine($"delivered: {string.Join(", ", tags)} in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(Enumerable.Range(0, pushes).Select(i => $"v{i}"), tags);
        Assert.All(received, e => Assert.Equal("PUSH_ARTIFACT", e.Json.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task ARetagThroughOneNodeIsReadThroughTheOtherAtOnceAndConcurrentPushesToOneTagAgree()
    {
        using var httpA = A.CreateClient();
        using var httpB = B.CreateClient();
        var ociA = new OciClient(httpA, "library/retag", cluster.Tail);
        var ociB = new OciClient(httpB, "library/retag", cluster.Tail);
        var image = SyntheticImage.Create(new Random(7));
        foreach (var blob in image.Blobs) await ociA.PushBlobAsync(blob);

        for (var round = 0; round < 10; round++)
        {
            var next = SyntheticImage.WithBlobs(image.Config, image.Layers, $"round {round}");
            var (writer, reader) = round % 2 == 0 ? (ociB, ociA) : (ociA, ociB);
            using var put = await writer.PutManifestAsync("latest", next.Manifest);
            await writer.ExpectAsync(put, HttpStatusCode.Created, $"PUT latest (round {round})");
            var (status, _, digest, _) = await reader.GetManifestAsync("latest");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(next.ManifestDigest, digest);
        }

        // Both nodes push different manifests to one tag at once; afterwards both nodes agree on
        // the tag, and it is one of the pushed manifests.
        var candidates = Enumerable.Range(0, 24).Select(i => SyntheticImage.WithBlobs(image.Config, image.Layers, $"race {i}")).ToList();
        var puts = candidates.Select(async (c, i) =>
        {
            var client = i % 2 == 0 ? ociA : ociB;
            using var response = await client.PutManifestAsync("race", c.Manifest);
            await client.ExpectAsync(response, HttpStatusCode.Created, $"PUT race #{i}");
        });
        await Task.WhenAll(puts);
        var onA = await ociA.GetManifestAsync("race");
        var onB = await ociB.GetManifestAsync("race");
        Assert.Equal(onA.Digest, onB.Digest);
        Assert.Contains(onA.Digest, candidates.Select(c => c.ManifestDigest));
        Assert.Equal(await ociA.ListTagsAsync(), await ociB.ListTagsAsync());
        foreach (var c in candidates)
        {
            Assert.Equal(HttpStatusCode.OK, (await ociB.GetManifestAsync(c.ManifestDigest)).Status);
        }
    }

    [Fact]
    public async Task AnUploadBegunOnANodeThatIsKilledIsFinishedThroughTheOtherNode()
    {
        var data = SyntheticImage.RandomBytes(new Random(3), 6 << 20);
        var digest = OciImage.Sha256Digest(data);
        var first = data[..(2 << 20)];

        using (var httpA = A.CreateClient())
        {
            var ociA = new OciClient(httpA, "library/resume", cluster.Tail);
            var location = await ociA.StartUploadAsync();
            await ociA.PatchChunkAsync(location, first, 0);
            A.Kill();

            // The session's path is node-independent: ask node B where it stands.
            using var httpB = B.CreateClient();
            var onB = new Uri(B.BaseAddress, location.PathAndQuery);
            var (status, range) = await EventuallyAsync("upload status through node B after node A was killed", async () =>
            {
                using var response = await httpB.GetAsync(onB);
                var r = response.Headers.TryGetValues("Range", out var v) ? v.First() : null;
                return response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotFound ? (response.StatusCode, r) : default;
            });

            var ociB = new OciClient(httpB, "library/resume", cluster.Tail);
            if (status == HttpStatusCode.NoContent)
            {
                Assert.Equal($"0-{first.Length - 1}", range);
                var next = await ociB.PatchChunkAsync(onB, data[first.Length..], first.Length);
                // The repository's grain may still be placed on node A until the cluster declares it
                // dead: a 503 then, which changed nothing, and the same PUT is retried as a client would.
                await EventuallyAsync("PUT completing the resumed upload on node B", async () =>
                {
                    using var put = new HttpRequestMessage(HttpMethod.Put, next + (next.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest));
                    using var done = await httpB.SendAsync(put);
                    if (done.StatusCode == HttpStatusCode.Created) return "created";
                    AssertUnavailable(done);
                    return null;
                });
            }
            else
            {
                output.WriteLine("node B answered BLOB_UPLOAD_UNKNOWN; retrying the whole upload");
                await EventuallyAsync("the whole upload again through node B", async () =>
                {
                    using var post = await httpB.PostAsync($"v2/library/resume/blobs/uploads/?digest={Uri.EscapeDataString(digest)}", new ByteArrayContent(data));
                    if (post.StatusCode == HttpStatusCode.Created) return "created";
                    AssertUnavailable(post);
                    return null;
                });
            }

            Assert.Equal(data, await ociB.GetBlobAsync(digest));
        }

        // A restarted sees everything.
        await A.RestartAsync();
        using var again = A.CreateClient();
        Assert.Equal(data, await new OciClient(again, "library/resume", cluster.Tail).GetBlobAsync(digest));
    }

    [Fact]
    public async Task ANodeKilledWhileStreamingAChunkLeavesTheUploadToBeFinishedThroughTheOtherNode()
    {
        var data = SyntheticImage.RandomBytes(new Random(9), 4 << 20);
        var digest = OciImage.Sha256Digest(data);
        using var httpA = A.CreateClient();
        using var httpB = B.CreateClient();
        var location = await new OciClient(httpA, "library/midstream", cluster.Tail).StartUploadAsync();

        // A PATCH whose body stops after 1 MiB and never ends: node A is killed while it streams.
        using var abandon = new CancellationTokenSource();
        var stalled = new StalledContent(data[..(1 << 20)], abandon.Token);
        var patch = httpA.SendAsync(new HttpRequestMessage(HttpMethod.Patch, location) { Content = stalled }, abandon.Token);
        await stalled.Sent.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(1000);
        A.Kill();
        abandon.Cancel(); // the client gives up on the dead connection
        await Assert.ThrowsAnyAsync<Exception>(() => patch.WaitAsync(TimeSpan.FromSeconds(30)));

        // Node B reports what is stored and, once the cluster knows node A is gone, accepts the rest.
        var onB = new Uri(B.BaseAddress, location.PathAndQuery);
        var offset = await EventuallyAsync("upload status through node B", async () =>
        {
            using var response = await httpB.GetAsync(onB);
            if (response.StatusCode != HttpStatusCode.NoContent) return (long?)null;
            // "0-0" is what registries send for an empty upload (the spec's range cannot say "none").
            var range = response.Headers.TryGetValues("Range", out var r) ? r.First() : "0-0";
            return range == "0-0" ? 0 : long.Parse(range.Split('-')[1]) + 1;
        });
        output.WriteLine($"node B reports {offset} bytes stored");
        Assert.True(offset is 0 || offset == 1 << 20, $"stored {offset} bytes: only whole chunks may count");

        var next = await EventuallyAsync("PATCH of the rest through node B", async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Patch, onB) { Content = new ByteArrayContent(data[(int)offset!.Value..]) };
            request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{data.Length - 1}");
            using var response = await httpB.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.Accepted) return new Uri(B.BaseAddress, response.Headers.Location!);
            Assert.True(response.StatusCode is HttpStatusCode.RequestedRangeNotSatisfiable or HttpStatusCode.ServiceUnavailable,
                $"PATCH through node B: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return null;
        });
        // The repository's grain may still be placed on node A until the cluster declares it dead: a
        // 503 then, which changed nothing, and the same PUT is retried as a client would.
        await EventuallyAsync("PUT completing the upload through node B", async () =>
        {
            using var put = await httpB.SendAsync(new HttpRequestMessage(HttpMethod.Put, next + (next.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest)));
            if (put.StatusCode == HttpStatusCode.Created) return "created";
            AssertUnavailable(put);
            return null;
        });
        Assert.Equal(data, await new OciClient(httpB, "library/midstream", cluster.Tail).GetBlobAsync(digest));
    }

    /// <summary>A request body that sends its bytes, signals, and then never finishes.</summary>
    private sealed class StalledContent(byte[] prefix, CancellationToken abandon) : HttpContent
    {
        private readonly TaskCompletionSource _sent = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Sent => _sent.Task;

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(prefix);
            await stream.FlushAsync();
            _sent.TrySetResult();
            await Task.Delay(Timeout.Infinite, abandon);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task WithANodeKilledTheOtherKeepsServingAndTheRestartedNodeSeesEverything()
    {
        using var httpA = A.CreateClient();
        using var httpB = B.CreateClient();
        var images = new List<(string Repository, SyntheticImage Image)>();
        for (var i = 0; i < 6; i++)
        {
            var repository = $"library/idle{i}";
            var image = SyntheticImage.Create(new Random(100 + i), layerCount: 1);
            await PushAsync(new OciClient(httpA, repository, cluster.Tail), image, "v1");
            images.Add((repository, image));
        }

        A.Kill();
        var clock = Stopwatch.StartNew();
        foreach (var (repository, image) in images)
        {
            var ociB = new OciClient(httpB, repository, cluster.Tail);
            var digest = await EventuallyAsync($"pull of {repository} through node B", async () =>
            {
                using var response = await httpB.GetAsync($"v2/{repository}/manifests/v1");
                if (response.StatusCode == HttpStatusCode.OK) return response.Headers.GetValues("Docker-Content-Digest").First();
                AssertUnavailable(response);
                return null;
            });
            Assert.Equal(image.ManifestDigest, digest);
            Assert.Equal(image.Layers[0], await ociB.GetBlobAsync(OciImage.Sha256Digest(image.Layers[0])));
        }

        output.WriteLine($"node B served every pull {clock.Elapsed.TotalSeconds:F1} s after node A was killed");
        // New activations (upload sessions, the new repository's grain) may still be placed on A until
        // the cluster has declared it dead: 503 with Retry-After until then, and the client retries.
        var later = SyntheticImage.Create(new Random(200), layerCount: 1);
        await EventuallyAsync("a push through node B", async () => await TryPushAsync(httpB, "library/after", later) ? "pushed" : null);

        await A.RestartAsync();
        using var restarted = A.CreateClient();
        foreach (var (repository, image) in images.Append(("library/after", later)))
        {
            var (status, _, digest, _) = await new OciClient(restarted, repository, cluster.Tail).GetManifestAsync("v1");
            Assert.True(status == HttpStatusCode.OK && digest == image.ManifestDigest, $"{repository} on restarted node A: {status} {digest}\n{cluster.Tail()}");
        }
    }

    [Fact]
    public async Task PushesDuringAPostgresRestartEitherCommitOrFailCleanlyAndThePoolRecovers()
    {
        using var httpA = A.CreateClient();
        using var httpB = B.CreateClient();
        var outcomes = new List<(string Repository, SyntheticImage Image, bool Committed)>();
        var phase = 0; // 0 before the outage, 1 during, 2 after PostgreSQL is back
        var committedIn = new int[3];
        using var stop = new CancellationTokenSource();
        var pushers = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            var http = worker % 2 == 0 ? httpA : httpB;
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var repository = $"library/pg{worker}-{i}";
                var image = SyntheticImage.Create(new Random(worker * 1000 + i), layerCount: 1, layerSize: 16 * 1024);
                var started = Volatile.Read(ref phase);
                var committed = await TryPushAsync(http, repository, image);
                lock (outcomes) outcomes.Add((repository, image, committed));
                if (committed) Interlocked.Increment(ref committedIn[started]);
                else await Task.Delay(100); // a client backs off after an error
            }
        })).ToList();

        // Let pushes commit first (a slow machine takes longer to warm up), then cut PostgreSQL.
        var warmup = Stopwatch.StartNew();
        while (Volatile.Read(ref committedIn[0]) < 4 && warmup.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(100);
        Volatile.Write(ref phase, 1);
        await cluster.Postgres.StopAsync();
        await Task.Delay(3000);
        await cluster.Postgres.StartAsync();
        Volatile.Write(ref phase, 2);
        await Task.Delay(3000);
        stop.Cancel();
        await Task.WhenAll(pushers);

        var failed = outcomes.Count(o => !o.Committed);
        output.WriteLine($"{outcomes.Count} pushes: {outcomes.Count - failed} committed ({committedIn[0]} begun before the outage, {committedIn[1]} during, {committedIn[2]} after), {failed} failed");
        Assert.True(failed > 0, "the outage should have failed some pushes; the test did not exercise it");
        Assert.True(committedIn[0] > 0 && committedIn[2] > 0, "pushes should commit before the outage and, on the same nodes, after it");

        // Without restarting a node: new pushes succeed, and every committed push is intact
        // through both nodes while no failed one left its manifest visible.
        var fresh = SyntheticImage.Create(new Random(4242), layerCount: 1);
        await EventuallyAsync("a push after PostgreSQL came back", async () => await TryPushAsync(httpB, "library/pg-after", fresh) ? "ok" : null);
        foreach (var (repository, image, committed) in outcomes)
        {
            foreach (var http in new[] { httpA, httpB })
            {
                var (status, body, _, _) = await new OciClient(http, repository, cluster.Tail).GetManifestAsync(image.ManifestDigest);
                if (committed)
                {
                    Assert.True(status == HttpStatusCode.OK && body.SequenceEqual(image.Manifest), $"committed {repository} reads {status}\n{cluster.Tail()}");
                }
                else
                {
                    Assert.True(status == HttpStatusCode.NotFound, $"failed push {repository} is visible: {status}\n{cluster.Tail()}");
                }
            }
        }
    }

    [Fact]
    public async Task WithRedisStoppedRequestsKeepWorkingAndAfterItReturnsANodeRejoins()
    {
        using var httpA = A.CreateClient();
        using var httpB = B.CreateClient();
        var before = SyntheticImage.Create(new Random(11), layerCount: 1);
        await PushAsync(new OciClient(httpA, "library/redis-before", cluster.Tail), before, "v1");

        await cluster.Redis.StopAsync();
        // Membership is held by the running silos; the store being away stops changes to it, not requests.
        var during = SyntheticImage.Create(new Random(12), layerCount: 1);
        await PushAsync(new OciClient(httpB, "library/redis-during", cluster.Tail), during, "v1");
        foreach (var http in new[] { httpA, httpB })
        {
            Assert.Equal(before.ManifestDigest, (await new OciClient(http, "library/redis-before", cluster.Tail).GetManifestAsync("v1")).Digest);
            Assert.Equal(during.ManifestDigest, (await new OciClient(http, "library/redis-during", cluster.Tail).GetManifestAsync("v1")).Digest);
        }

        // A fresh login (no cached credential on this node) still works without the shared cache.
        using var fresh = new HttpClient { BaseAddress = B.BaseAddress };
        fresh.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{B.UserName}:{B.Password}")));
        using (var check = await fresh.GetAsync("v2/library/redis-during/tags/list")) Assert.Equal(HttpStatusCode.OK, check.StatusCode);

        await cluster.Redis.StartAsync();
        // Reminders persist in Redis: the upload sweep's schedule survived Redis' restart.
        var reminders = await Tools.RunOkAsync("redis-cli", ["-p", cluster.Redis.Port.ToString(), "zrange", "registry-e2e/reminders", "0", "-1"]);
        Assert.Contains("sweep-uploads", reminders.StdOut);
        await A.RestartAsync();
        using var again = A.CreateClient();
        foreach (var (repository, image) in new[] { ("library/redis-before", before), ("library/redis-during", during) })
        {
            var digest = await EventuallyAsync($"{repository} through rejoined node A", async () =>
                (await new OciClient(again, repository, cluster.Tail).GetManifestAsync("v1")) is { Status: HttpStatusCode.OK } r ? r.Digest : null);
            Assert.Equal(image.ManifestDigest, digest);
        }

        var after = SyntheticImage.Create(new Random(13), layerCount: 1);
        await PushAsync(new OciClient(again, "library/redis-after", cluster.Tail), after, "v1");
        Assert.Equal(after.ManifestDigest, (await new OciClient(httpB, "library/redis-after", cluster.Tail).GetManifestAsync("v1")).Digest);
    }

    private static async Task PushAsync(OciClient oci, SyntheticImage image, string tag)
    {
        foreach (var blob in image.Blobs) await oci.PushBlobAsync(blob);
        using var response = await oci.PutManifestAsync(tag, image.Manifest);
        await oci.ExpectAsync(response, HttpStatusCode.Created, $"PUT {oci.Repository}:{tag}");
    }

    /// <summary>A whole push by raw HTTP: true when every step succeeded, false on the first 5xx or connection error.</summary>
    private async Task<bool> TryPushAsync(HttpClient http, string repository, SyntheticImage image)
    {
        try
        {
            foreach (var blob in image.Blobs)
            {
                using var post = await http.PostAsync($"v2/{repository}/blobs/uploads/", null);
                if (!Ok(post, HttpStatusCode.Accepted)) return false;
                var location = new Uri(http.BaseAddress!, post.Headers.Location!);
                var put = new HttpRequestMessage(HttpMethod.Put, location + (location.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(OciImage.Sha256Digest(blob)))
                {
                    Content = new ByteArrayContent(blob),
                };
                using var done = await http.SendAsync(put);
                if (!Ok(done, HttpStatusCode.Created)) return false;
            }

            var content = new ByteArrayContent(image.Manifest);
            content.Headers.ContentType = new MediaTypeHeaderValue(OciClient.OciManifest);
            using var manifest = await http.PutAsync($"v2/{repository}/manifests/v1", content);
            return Ok(manifest, HttpStatusCode.Created);
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>The expected status, or 503 UNAVAILABLE with Retry-After; anything else is a bug and fails the test.</summary>
    private bool Ok(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode == expected) return true;
        AssertUnavailable(response);
        return false;
    }

    private void AssertUnavailable(HttpResponseMessage response)
    {
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable && body.Contains("\"UNAVAILABLE\"") && response.Headers.RetryAfter is not null,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}; during an outage only success or 503 UNAVAILABLE with Retry-After is acceptable\n{cluster.Tail()}");
    }

    private static async Task<string> GetTokenAsync(HttpClient http, RegistryProcess node, string scope)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node.BaseAddress, $"service/token?service=registry&scope={Uri.EscapeDataString(scope)}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(node.Credentials)));
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!;
    }

    /// <summary>Retries <paramref name="attempt"/> until it yields a value (errors count as "not yet"), for at most 60 s.</summary>
    private async Task<T> EventuallyAsync<T>(string what, Func<Task<T?>> attempt)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                if (await attempt() is { } value && !EqualityComparer<T>.Default.Equals(value, default!))
                {
                    output.WriteLine($"{what}: after {clock.Elapsed.TotalSeconds:F1} s");
                    return value;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"{what}: not within 60 s (last error: {last?.Message})\n{cluster.Tail()}");
        return default!;
    }
}
