using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using Registry.Grains.Storage;

namespace Registry.Grains.Grains;

/// <summary>
/// One upload's state. The session row lives in the metadata store and the offset is the size of
/// the stored bytes, so any activation — after a restart or on another node — resumes where the
/// bytes end.
/// </summary>
internal sealed class UploadSessionGrain(IUploadStore uploads, IBlobStore blobs, TimeProvider clock, IClusterMembershipService membership) : Grain, IUploadSessionGrain
{
    private static readonly TimeSpan LeaseTimeout = UploadLease.Timeout;

    private UploadState? _state;
    private Guid _lease;
    private DateTimeOffset _leaseExpires;
    private SiloAddress? _leaseHolder;

    public override Task OnActivateAsync(CancellationToken cancellationToken) => BackingFailures.GuardAsync(() => LoadAsync(cancellationToken));

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var record = await uploads.GetAsync(this.GetPrimaryKeyString(), cancellationToken);
        if (record is null) return;
        if (record.Committed is { } stored && Digest.TryParse(stored, out var committed))
        {
            // A completing PUT stored the bytes as this blob and failed before linking it: its
            // retry (on this activation) only links it. A collected blob reads as empty, and the
            // link step then asks the client to upload again.
            var blobSize = await blobs.GetSizeAsync(committed, cancellationToken);
            _state = new UploadState(record.Repository, blobSize ?? 0, record.StartedAt, committed);
            return;
        }
        var size = await blobs.GetUploadSizeAsync(record.Id, cancellationToken);
        _state = new UploadState(record.Repository, Math.Max(size, 0), record.StartedAt);
    }

    async Task<UploadState> IUploadSessionGrain.StartAsync(string repository)
    {
        if (_state is not null) return _state;
        var state = new UploadState(repository, 0, clock.GetUtcNow());
        await uploads.CreateAsync(new UploadRecord(this.GetPrimaryKeyString(), repository, state.StartedAt));
        _state = state;
        return state;
    }

    Task<UploadState?> IUploadSessionGrain.GetStateAsync(string repository) =>
        Task.FromResult(_state?.Repository == repository ? _state : null);

    Task<UploadLease> IUploadSessionGrain.BeginWriteAsync(string repository, long? expectedOffset, SiloAddress? writer)
    {
        if (_state is null || _state.Repository != repository)
            return Task.FromResult(new UploadLease(OciErrorCode.BlobUploadUnknown, Guid.Empty, 0));
        var now = clock.GetUtcNow();
        var busy = _lease != Guid.Empty && now < _leaseExpires && !HolderIsDead();
        if (busy || (expectedOffset is { } expected && expected != _state.Offset))
            return Task.FromResult(new UploadLease(OciErrorCode.RangeInvalid, Guid.Empty, _state.Offset));
        _lease = Guid.NewGuid();
        _leaseExpires = now + LeaseTimeout;
        _leaseHolder = writer;
        return Task.FromResult(new UploadLease(null, _lease, _state.Offset, _state.Committed));
    }

    /// <summary>The node streaming into the lease was killed: its writes can never finish, and the stored size says where to resume.</summary>
    private bool HolderIsDead() =>
        _leaseHolder is { } holder && membership.CurrentSnapshot.GetSiloStatus(holder) == SiloStatus.Dead;

    Task<bool> IUploadSessionGrain.EndWriteAsync(Guid leaseId, long newOffset, bool release)
    {
        if (_state is null || leaseId != _lease) return Task.FromResult(false);
        _state = _state with { Offset = newOffset };
        if (release) _lease = Guid.Empty;
        else _leaseExpires = clock.GetUtcNow() + LeaseTimeout;
        return Task.FromResult(true);
    }

    Task<bool> IUploadSessionGrain.RenewAsync(Guid leaseId)
    {
        if (_state is null || leaseId != _lease) return Task.FromResult(false);
        _leaseExpires = clock.GetUtcNow() + LeaseTimeout;
        return Task.FromResult(true);
    }

    async Task IUploadSessionGrain.AbandonCompletionAsync(Guid leaseId, Digest? committed)
    {
        if (_state is null || leaseId != _lease) return;
        _lease = Guid.Empty;
        if (committed is null || _state.Committed == committed) return;
        _state = _state with { Committed = committed };
        // Persisted, so that a retry on another activation (this node died, or the grain was
        // collected) still knows the bytes are stored rather than finding an empty upload.
        await BackingFailures.GuardAsync(() => uploads.SetCommittedAsync(this.GetPrimaryKeyString(), committed.Value.ToString()));
    }

    async Task<bool> IUploadSessionGrain.CloseAsync(string repository)
    {
        if (_state is null || _state.Repository != repository) return false;
        await uploads.DeleteAsync(this.GetPrimaryKeyString());
        _state = null;
        _lease = Guid.Empty;
        DeactivateOnIdle();
        return true;
    }
}
