using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Grains.Grains;

/// <summary>A project's settings, read once per activation and served from memory; a missing project is asked again next time.</summary>
internal sealed class ProjectGrain(IAccountStore accounts) : Grain, IProjectGrain
{
    private ProjectInfo? _info;
    private bool _loaded;

    async Task<ProjectInfo?> IProjectGrain.GetAsync()
    {
        if (!_loaded)
        {
            var record = await accounts.GetProjectAsync(this.GetPrimaryKeyString());
            if (record is null)
            {
                // Unknown names are anyone's to ask for: keep no activation and no answer for them.
                DeactivateOnIdle();
                return null;
            }
            _info = new ProjectInfo(record.Name, record.Public);
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
