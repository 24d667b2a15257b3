using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Grains.Grains;

/// <summary>A project's settings, read once per activation and served from memory.</summary>
internal sealed class ProjectGrain(IAccountStore accounts) : Grain, IProjectGrain
{
    private ProjectInfo? _info;
    private bool _loaded;

    async Task<ProjectInfo?> IProjectGrain.GetAsync()
    {
        if (!_loaded)
        {
            var record = await accounts.GetProjectAsync(this.GetPrimaryKeyString());
            _info = record is null ? null : new ProjectInfo(record.Name, record.Public);
            _loaded = true;
        }
        return _info;
    }

    Task IProjectGrain.RefreshAsync()
    {
        _loaded = false;
        return Task.CompletedTask;
    }
}
