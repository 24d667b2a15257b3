using System.Collections.Immutable;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Grains.Grains;

/// <summary>
/// A project's settings, members' roles and immutable tag rules, read once per activation and served from memory; a
/// missing project is asked again next time.
/// </summary>
internal sealed class ProjectGrain(IIdentityStore identity, IGovernanceStore governance) : Grain, IProjectGrain
{
    private ProjectInfo? _info;
    private Dictionary<long, int> _roles = [];
    private ImmutableArray<ImmutableRule> _immutableRules = [];
    private Task? _loading;

    async Task<ProjectInfo?> IProjectGrain.GetAsync()
    {
        await EnsureLoadedAsync();
        return _info;
    }

    async Task<(ProjectInfo Project, int? Role)?> IProjectGrain.GetAccessAsync(long userId)
    {
        await EnsureLoadedAsync();
        if (_info is null) return null;
        return (_info, _roles.TryGetValue(userId, out var role) ? role : null);
    }

    async Task<ImmutableArray<ImmutableRule>> IProjectGrain.GetImmutableRulesAsync()
    {
        await EnsureLoadedAsync();
        return _info is null ? [] : _immutableRules;
    }

    Task IProjectGrain.RefreshAsync()
    {
        _loading = null;
        return Task.CompletedTask;
    }

    // Reads interleave: the first one loads, the others wait for the same load.
    private Task EnsureLoadedAsync() => _loading is { IsFaulted: false, IsCanceled: false } ? _loading : (_loading = LoadAsync());

    private async Task LoadAsync()
    {
        ProjectRecord? record = null;
        Dictionary<long, int> roles = [];
        IReadOnlyList<ImmutableRule> rules = [];
        await BackingFailures.GuardAsync(async () =>
        {
            record = await identity.GetProjectAsync(this.GetPrimaryKeyString());
            if (record is null) return;
            var members = await identity.ListMembersAsync(record.Id, ListQuery.All);
            roles = members.Items.ToDictionary(m => m.UserId, m => m.RoleId);
            rules = await governance.ListImmutableRulesAsync(record.Id);
        });
        if (record is null)
        {
            // Unknown names are anyone's to ask for: keep no activation and no answer for them.
            _info = null;
            _loading = null;
            DeactivateOnIdle();
            return;
        }
        _info = new ProjectInfo(record.Name, record.Public, record.Id);
        _roles = roles;
        _immutableRules = [.. rules];
    }
}
