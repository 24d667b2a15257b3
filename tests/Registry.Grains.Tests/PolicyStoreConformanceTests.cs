using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Grains.Tests;

/// <summary>What <see cref="ILabelStore"/> and <see cref="IRetentionStore"/> must do on every metadata database.</summary>
public abstract class PolicyStoreConformanceTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
    private static readonly Digest A = Digest.Compute("a"u8);

    private ServiceProvider _services = null!;
    private ILabelStore _labels = null!;
    private IRetentionStore _retention = null!;

    protected abstract Task ConfigureAsync(IServiceCollection services);

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        await ConfigureAsync(services);
        _services = services.BuildServiceProvider();
        await _services.GetRequiredService<IMetadataDatabase>().MigrateAsync();
        _labels = _services.GetRequiredService<ILabelStore>();
        _retention = _services.GetRequiredService<IRetentionStore>();
    }

    public virtual async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task LabelNamesAreUniquePerScopeAndProjectAndDeletingALabelDetachesIt()
    {
        var global = await _labels.CreateAsync("prod", "d", "#FF0000", LabelScopes.Global, 0, T0);
        Assert.NotNull(global);
        Assert.Null(await _labels.CreateAsync("prod", "", "", LabelScopes.Global, 0, T0));
        var local = await _labels.CreateAsync("prod", "", "", LabelScopes.Project, 7, T0);
        Assert.NotNull(local);
        Assert.NotNull(await _labels.CreateAsync("prod", "", "", LabelScopes.Project, 8, T0));
        Assert.Equal(new LabelRecord(global!.Id, "prod", "d", "#FF0000", "g", 0, T0, T0), await _labels.GetAsync(global.Id));

        var page = await _labels.ListAsync(new ListQuery(0, 10, [new ListFilter("name", FilterKind.Fuzzy, "PRO")]), LabelScopes.Project, 7);
        Assert.Equal(local!.Id, Assert.Single(page.Items).Id);
        Assert.Equal(1, page.Total);

        Assert.Equal(LabelChange.Done, await _labels.UpdateAsync(local.Id, "renamed", "x", "#000000", T0.AddSeconds(1)));
        Assert.Equal(LabelChange.NotFound, await _labels.UpdateAsync(123456, "x", "", "", T0));
        await _labels.CreateAsync("taken", "", "", LabelScopes.Project, 7, T0);
        Assert.Equal(LabelChange.Duplicate, await _labels.UpdateAsync(local.Id, "taken", "", "", T0));

        Assert.True(await _labels.AttachAsync("p/r", A, global.Id, T0));
        Assert.False(await _labels.AttachAsync("p/r", A, global.Id, T0));
        Assert.True(await _labels.DeleteAsync(global.Id));
        Assert.False(await _labels.DetachAsync("p/r", A, global.Id));
        Assert.False(await _labels.DeleteAsync(global.Id));
    }

    [Fact]
    public async Task ArtifactsCarryTheirLabelsAndAreFilteredByThem()
    {
        var repositories = _services.GetRequiredService<IRepositoryStore>();
        var artifacts = _services.GetRequiredService<IArtifactQueries>();
        byte[] one = "{\"schemaVersion\":2,\"n\":1}"u8.ToArray(), two = "{\"schemaVersion\":2,\"n\":2}"u8.ToArray();
        var d1 = Digest.Compute(one);
        var d2 = Digest.Compute(two);
        await repositories.SaveManifestAsync(new ManifestRecord("library/app", d1, "application/vnd.oci.image.manifest.v1+json", one.Length, null, null, null, [], one), "v1");
        await repositories.SaveManifestAsync(new ManifestRecord("library/app", d2, "application/vnd.oci.image.manifest.v1+json", two.Length, null, null, null, [], two), "v2");
        var x = (await _labels.CreateAsync("x", "", "", LabelScopes.Global, 0, T0))!;
        var y = (await _labels.CreateAsync("y", "", "", LabelScopes.Global, 0, T0))!;
        await _labels.AttachAsync("library/app", d1, x.Id, T0);
        await _labels.AttachAsync("library/app", d1, y.Id, T0);
        await _labels.AttachAsync("library/app", d2, y.Id, T0);

        Assert.Equal(["x", "y"], (await artifacts.GetArtifactAsync("library/app", d1))!.Labels!.Select(l => l.Name));
        async Task<Digest[]> Filtered(ListFilter filter) =>
            [.. (await artifacts.ListArtifactsAsync("library/app", new ListQuery(0, 10, [filter]))).Items.Select(a => a.Digest).OrderBy(d => d.ToString())];
        Assert.Equal([d1], await Filtered(new ListFilter("labels", FilterKind.Exact, x.Id.ToString())));
        Assert.Equal([d1], await Filtered(new ListFilter("labels", FilterKind.All, Values: [x.Id.ToString(), y.Id.ToString()])));
        Assert.Equal(new[] { d1, d2 }.OrderBy(d => d.ToString()), await Filtered(new ListFilter("labels", FilterKind.In, Values: [x.Id.ToString(), y.Id.ToString()])));
        await _labels.DeleteAsync(y.Id);
        Assert.Empty((await artifacts.GetArtifactAsync("library/app", d2))!.Labels!);
    }

    [Fact]
    public async Task RetentionPoliciesExecutionsAndTasksAreKeptAndDeletedTogether()
    {
        var policy = await _retention.CreatePolicyAsync(7, "{}", "0 0 * * * *", T0);
        Assert.NotNull(policy);
        Assert.Null(await _retention.CreatePolicyAsync(7, "{}", null, T0));
        Assert.Equal(policy, await _retention.GetPolicyOfProjectAsync(7));
        Assert.Equal(new Dictionary<long, long> { [7] = policy!.Id }, await _retention.GetPolicyIdsOfProjectsAsync([7, 8]));
        Assert.Empty(await _retention.GetPolicyIdsOfProjectsAsync([]));
        Assert.Equal(policy!.Id, Assert.Single(await _retention.ListScheduledAsync()).Id);

        Assert.True(await _retention.MarkScheduledAsync(policy.Id, T0, T0.AddHours(1)));
        Assert.False(await _retention.MarkScheduledAsync(policy.Id, T0, T0.AddHours(1)));
        Assert.True(await _retention.UpdatePolicyAsync(policy.Id, "{\"id\":1}", null, T0.AddHours(2)));
        Assert.Empty(await _retention.ListScheduledAsync());
        Assert.Equal("{\"id\":1}", (await _retention.GetPolicyAsync(policy.Id))!.Policy);

        var first = await _retention.CreateExecutionAsync(policy.Id, "MANUAL", true, "admin", T0);
        Assert.Equal(RetentionStatus.Running, first.Status);
        Assert.True(first.DryRun);
        var task = await _retention.CreateTaskAsync(first.Id, "p/r", T0);
        await _retention.FinishTaskAsync(task, RetentionStatus.Succeed, 4, 2, "the log", T0.AddSeconds(1));
        await _retention.FinishExecutionAsync(first.Id, RetentionStatus.Succeed, T0.AddSeconds(2));
        var second = await _retention.CreateExecutionAsync(policy.Id, "SCHEDULE", false, "retention", T0.AddMinutes(1));
        await _retention.CreateTaskAsync(second.Id, "p/r", T0);
        Assert.Equal(1, await _retention.FailRunningAsync(policy.Id, T0.AddMinutes(2)));

        var executions = await _retention.ListExecutionsAsync(policy.Id, 0, 10);
        Assert.Equal([second.Id, first.Id], executions.Items.Select(e => e.Id));
        Assert.Equal(RetentionStatus.Failed, executions.Items[0].Status);
        Assert.Equal(T0.AddSeconds(2), executions.Items[1].EndTime);
        var tasks = await _retention.ListTasksAsync(first.Id, 0, 10);
        Assert.Equal(new RetentionTaskRecord(task, first.Id, "p/r", RetentionStatus.Succeed, 4, 2, T0, T0.AddSeconds(1)), Assert.Single(tasks.Items));
        Assert.Equal("the log", await _retention.GetTaskLogAsync(first.Id, task));
        Assert.Null(await _retention.GetTaskLogAsync(second.Id, task));
        Assert.Equal(RetentionStatus.Failed, Assert.Single((await _retention.ListTasksAsync(second.Id, 0, 10)).Items).Status);

        Assert.True(await _retention.DeletePolicyAsync(policy.Id));
        Assert.Null(await _retention.GetExecutionAsync(first.Id));
        Assert.Null(await _retention.GetTaskLogAsync(first.Id, task));
        Assert.NotNull(await _retention.CreatePolicyAsync(7, "{}", null, T0));
    }
}

public sealed class SqlitePolicyStoreTests : PolicyStoreConformanceTests
{
    private readonly TempDirectory _dir = new();

    protected override Task ConfigureAsync(IServiceCollection services)
    {
        services.AddSqliteMetadata(_dir.Path);
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresPolicyStoreTests(PostgresFixture postgres) : PolicyStoreConformanceTests
{
    protected override async Task ConfigureAsync(IServiceCollection services) =>
        services.AddPostgresMetadata(await postgres.CreateDatabaseAsync());
}
