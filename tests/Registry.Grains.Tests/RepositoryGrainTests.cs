using System.Text;
using Registry.Grains.Abstractions;
using Registry.Grains.Manifests;

namespace Registry.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class RepositoryGrainTests(ClusterFixture fixture)
{
    private static string NewRepository() => "library/r" + Guid.NewGuid().ToString("N")[..12];

    private static PutManifestCommand Image(string reference, Digest config, string marker = "", Digest? subject = null, string? artifactType = null)
    {
        var subjectJson = subject is { } s ? $",\"subject\":{{\"mediaType\":\"{MediaTypes.OciManifest}\",\"digest\":\"{s}\",\"size\":1}}" : "";
        var typeJson = artifactType is null ? "" : $",\"artifactType\":\"{artifactType}\"";
        var json = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciManifest}\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{config}\",\"size\":2}},\"layers\":[],\"annotations\":{{\"m\":\"{marker}\"}}{subjectJson}{typeJson}}}";
        var bytes = Encoding.UTF8.GetBytes(json);
        return new PutManifestCommand(reference, MediaTypes.OciManifest, bytes, Digest.Compute(bytes));
    }

    private static async Task<(IRepositoryGrain Grain, Digest Config)> LinkedRepositoryAsync(IGrainFactory grains, string name)
    {
        var grain = grains.GetGrain<IRepositoryGrain>(name);
        var config = Digest.Compute("{}"u8);
        await grain.LinkBlobAsync(config, 2);
        return (grain, config);
    }

    [Fact]
    public async Task AManifestReferencingABlobNotLinkedHereIsRefused()
    {
        var grain = fixture.Silo(0).GetGrain<IRepositoryGrain>(NewRepository());
        var result = await grain.PutManifestAsync(Image("v1", Digest.Compute("{}"u8)));
        Assert.Equal(OciErrorCode.ManifestBlobUnknown, result.Error);
        Assert.Null(await grain.GetManifestAsync("v1", true));
    }

    [Fact]
    public async Task ATagMovedThroughOneSiloIsReadAtOnceThroughTheOther()
    {
        var name = NewRepository();
        var (viaA, config) = await LinkedRepositoryAsync(fixture.Silo(0), name);
        var viaB = fixture.Silo(1).GetGrain<IRepositoryGrain>(name);
        for (var i = 0; i < 5; i++)
        {
            var command = Image("latest", config, i.ToString());
            Assert.Null((await (i % 2 == 0 ? viaA : viaB).PutManifestAsync(command)).Error);
            var seen = await (i % 2 == 0 ? viaB : viaA).GetManifestAsync("latest", true);
            Assert.Equal(command.Digest, seen!.Digest);
            Assert.Equal(command.Content, seen.Content);
        }
    }

    [Fact]
    public async Task ConcurrentPushesToOneTagAllCommitAndTheTagEndsOnOneOfThem()
    {
        var name = NewRepository();
        var (_, config) = await LinkedRepositoryAsync(fixture.Silo(0), name);
        var commands = Enumerable.Range(0, 30).Select(i => Image("race", config, i.ToString())).ToList();
        var results = await Task.WhenAll(commands.Select((c, i) => fixture.Silo(i % 2).GetGrain<IRepositoryGrain>(name).PutManifestAsync(c)));
        Assert.All(results, r => Assert.Null(r.Error));

        var grain = fixture.Silo(1).GetGrain<IRepositoryGrain>(name);
        var tagged = await grain.GetManifestAsync("race", false);
        Assert.Contains(tagged!.Digest, commands.Select(c => c.Digest));
        foreach (var c in commands) Assert.NotNull(await grain.GetManifestAsync(c.Digest.ToString(), false));
    }

    [Fact]
    public async Task StateSurvivesDeactivationBecauseItIsWrittenThroughToTheStore()
    {
        var name = NewRepository();
        var (grain, config) = await LinkedRepositoryAsync(fixture.Silo(0), name);
        var command = Image("keep", config);
        await grain.PutManifestAsync(command);
        await fixture.Cluster.DeactivateAsync(grain.GetGrainId());

        var again = await fixture.Silo(1).GetGrain<IRepositoryGrain>(name).GetManifestAsync("keep", true);
        Assert.Equal(command.Content, again!.Content);
        Assert.Equal(2, await fixture.Silo(1).GetGrain<IRepositoryGrain>(name).GetBlobSizeAsync(config));
    }

    [Fact]
    public async Task DeletingByTagKeepsTheManifestAndDeletingByDigestRemovesItsTags()
    {
        var (grain, config) = await LinkedRepositoryAsync(fixture.Silo(0), NewRepository());
        var command = Image("a", config);
        await grain.PutManifestAsync(command);
        await grain.PutManifestAsync(command with { Reference = "b" });

        Assert.True(await grain.DeleteManifestAsync("a"));
        Assert.Null(await grain.GetManifestAsync("a", false));
        Assert.NotNull(await grain.GetManifestAsync("b", false));

        Assert.True(await grain.DeleteManifestAsync(command.Digest.ToString()));
        Assert.Null(await grain.GetManifestAsync("b", false));
        Assert.Null(await grain.GetManifestAsync(command.Digest.ToString(), false));
        Assert.False(await grain.DeleteManifestAsync(command.Digest.ToString()));
    }

    [Fact]
    public async Task DeletingEverythingEmptiesTheRepositoryInMemoryAndInTheStore()
    {
        var name = NewRepository();
        var (grain, config) = await LinkedRepositoryAsync(fixture.Silo(0), name);
        var child = Image("child", config);
        await grain.PutManifestAsync(child);
        var index = Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciIndex}\",\"manifests\":[{{\"mediaType\":\"{MediaTypes.OciManifest}\",\"digest\":\"{child.Digest}\",\"size\":{child.Content.Length}}}]}}");
        Assert.Null((await grain.PutManifestAsync(new PutManifestCommand("multi", MediaTypes.OciIndex, index, Digest.Compute(index)))).Error);

        Assert.Equal(2, await grain.DeleteAllAsync());
        Assert.Null(await grain.GetManifestAsync("multi", false));
        Assert.Null(await grain.GetManifestAsync(child.Digest.ToString(), false));
        Assert.Null(await grain.GetBlobSizeAsync(config));

        await fixture.Cluster.DeactivateAsync(grain.GetGrainId());
        var again = fixture.Silo(1).GetGrain<IRepositoryGrain>(name);
        Assert.Null(await again.GetManifestAsync("child", false));
        Assert.Null(await again.GetBlobSizeAsync(config));
        Assert.Equal(0, await again.DeleteAllAsync());
    }

    [Fact]
    public async Task ReferrersAreTheManifestsWhoseSubjectIsTheDigestFilteredByArtifactType()
    {
        var (grain, config) = await LinkedRepositoryAsync(fixture.Silo(0), NewRepository());
        var subject = Image("app", config);
        await grain.PutManifestAsync(subject);
        var sbom = Image(Digest.Compute("x"u8).ToString(), config, "sbom", subject.Digest, "application/vnd.example.sbom");
        sbom = sbom with { Reference = sbom.Digest.ToString() };
        var signature = Image("sig", config, "sig", subject.Digest, "application/vnd.example.sig");
        Assert.Null((await grain.PutManifestAsync(sbom)).Error);
        Assert.Equal(subject.Digest, (await grain.PutManifestAsync(signature)).Subject);

        var all = await grain.GetReferrersAsync(subject.Digest, null);
        Assert.Equal(2, all.Length);
        var filtered = Assert.Single(await grain.GetReferrersAsync(subject.Digest, "application/vnd.example.sbom"));
        Assert.Equal(sbom.Digest, filtered.Digest);
        Assert.Equal("sbom", filtered.Annotations!["m"]);
        Assert.Empty(await grain.GetReferrersAsync(Digest.Compute("none"u8), null));
    }

    [Fact]
    public async Task AnIndexNeedsItsChildManifestsInTheRepository()
    {
        var (grain, config) = await LinkedRepositoryAsync(fixture.Silo(0), NewRepository());
        var child = Image("child", config);
        var index = Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciIndex}\",\"manifests\":[{{\"mediaType\":\"{MediaTypes.OciManifest}\",\"digest\":\"{child.Digest}\",\"size\":{child.Content.Length}}}]}}");
        var put = new PutManifestCommand("multi", MediaTypes.OciIndex, index, Digest.Compute(index));
        Assert.Equal(OciErrorCode.ManifestBlobUnknown, (await grain.PutManifestAsync(put)).Error);
        await grain.PutManifestAsync(child);
        Assert.Null((await grain.PutManifestAsync(put)).Error);
    }
}
