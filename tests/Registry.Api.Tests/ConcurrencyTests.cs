namespace Registry.Api.Tests;

/// <summary>Many clients at once: no write is lost or half-applied.</summary>
public sealed class ConcurrencyTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private OciClient Admin => registry.Admin;

    [Fact]
    public async Task ConcurrentPutsOfDifferentManifestsToOneTagAllSucceedAndTheTagEndsOnOneOfThem()
    {
        const string repo = "library/race";
        var config = await Admin.PushBlobAsync(repo, Oci.Config(), Oci.OciConfig);
        var bodies = Enumerable.Range(0, 20)
            .Select(i => Oci.Manifest(config, [], annotations: new Dictionary<string, string> { ["i"] = i.ToString() }))
            .ToList();

        var responses = await Task.WhenAll(bodies.Select(b => Admin.PutManifestAsync(repo, "race", b, Oci.OciManifest)));

        foreach (var response in responses) await Expect.StatusAsync(response, HttpStatusCode.Created);
        var digests = bodies.Select(b => Oci.Digest(b)).ToList();
        Assert.Equal(digests, responses.Select(r => r.Header("Docker-Content-Digest")));

        var tagged = await Admin.GetAsync($"/v2/{repo}/manifests/race");
        await Expect.StatusAsync(tagged, HttpStatusCode.OK);
        var index = digests.IndexOf(tagged.Header("Docker-Content-Digest")!);
        Assert.True(index >= 0, $"the tag points at {tagged.Header("Docker-Content-Digest")}, which was never pushed");
        Assert.Equal(bodies[index], await tagged.Content.ReadAsByteArrayAsync());

        for (var i = 0; i < bodies.Count; i++)
        {
            var byDigest = await Admin.GetAsync($"/v2/{repo}/manifests/{digests[i]}");
            await Expect.StatusAsync(byDigest, HttpStatusCode.OK);
            Assert.Equal(bodies[i], await byDigest.Content.ReadAsByteArrayAsync());
        }
        Assert.Equal(["race"], (await Expect.JsonAsync(await Admin.GetAsync($"/v2/{repo}/tags/list"))).Strings("tags"));
    }

    [Fact]
    public async Task ConcurrentPushesOfTheSameBlobAllSucceedAndTheBlobIsIntact()
    {
        const string repo = "library/same-blob";
        var content = Oci.RandomBytes(256 * 1024);
        var digest = Oci.Digest(content);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Admin.PostBlobAsync(repo, content, digest)));

        foreach (var response in responses) await Expect.StatusAsync(response, HttpStatusCode.Created);
        var blob = await Admin.GetAsync($"/v2/{repo}/blobs/{digest}");
        await Expect.StatusAsync(blob, HttpStatusCode.OK);
        Assert.Equal(content, await blob.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ConcurrentChunksToOneSessionNeverInterleave()
    {
        const string repo = "library/same-session";
        var location = await Admin.StartUploadAsync(repo);
        var chunks = Enumerable.Range(0, 10).Select(_ => Oci.RandomBytes(64 * 1024)).ToList();

        var responses = await Task.WhenAll(chunks.Select(c => Admin.PatchAsync(location, c, $"0-{c.Length - 1}")));

        var accepted = responses.Count(r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(1, accepted);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Accepted),
            r => Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, r.StatusCode));
        var winner = chunks[Array.FindIndex(responses, r => r.StatusCode == HttpStatusCode.Accepted)];
        var digest = Oci.Digest(winner);
        await Expect.StatusAsync(await Admin.SendAsync(HttpMethod.Put, $"{location}?digest={digest}", OciClient.Bytes([])), HttpStatusCode.Created);
        var blob = await Admin.GetAsync($"/v2/{repo}/blobs/{digest}");
        Assert.Equal(winner, await blob.Content.ReadAsByteArrayAsync());
    }
}
