using System.Collections.Immutable;
using Registry.Grains.Abstractions;
using Registry.Grains.Manifests;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;

namespace Registry.Grains.Grains;

/// <summary>
/// One repository's manifests, tags and blob links, held in memory and written through to the
/// metadata store. Memory is updated only after the store has committed, in one synchronous step,
/// so interleaved reads see either the old or the new state, never a half.
/// </summary>
internal sealed class RepositoryGrain(IRepositoryStore store, IOutbox outbox, TimeProvider clock) : Grain, IRepositoryGrain
{
    private const long ContentCacheLimit = 16 << 20;

    private readonly Dictionary<Digest, ManifestEntry> _manifests = [];
    private readonly Dictionary<string, Digest> _tags = new(StringComparer.Ordinal);
    private readonly Dictionary<Digest, long> _blobs = [];
    private readonly Dictionary<Digest, byte[]> _content = [];
    private long _contentBytes;
    private string _name = "";

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _name = this.GetPrimaryKeyString();
        RepositorySnapshot? snapshot = null;
        await BackingFailures.GuardAsync(async () => snapshot = await store.LoadAsync(_name, cancellationToken));
        foreach (var m in snapshot!.Manifests) _manifests[m.Digest] = m;
        foreach (var (tag, digest) in snapshot.Tags) _tags[tag] = digest;
        foreach (var (digest, size) in snapshot.Blobs) _blobs[digest] = size;
    }

    async Task<ManifestResponse?> IRepositoryGrain.GetManifestAsync(string reference, bool withContent)
    {
        ReleaseIfEmpty();
        if (Resolve(reference) is not { } entry) return null;
        if (!withContent) return new ManifestResponse(entry.Digest, entry.MediaType, entry.Size, null);
        if (!_content.TryGetValue(entry.Digest, out var content))
        {
            content = await store.GetManifestContentAsync(_name, entry.Digest);
            if (content is null) return null;
            Cache(entry.Digest, content);
        }
        return new ManifestResponse(entry.Digest, entry.MediaType, entry.Size, content);
    }

    async Task<PutManifestResult> IRepositoryGrain.PutManifestAsync(PutManifestCommand command)
    {
        var tag = Digest.LooksLikeDigest(command.Reference) ? null : command.Reference;
        if (tag is not null && !RepositoryName.IsValidTag(tag))
            return PutManifestResult.Fail(OciErrorCode.TagInvalid, $"invalid tag '{tag}'");

        var parsed = ManifestParser.Parse(command.Content, command.MediaType, out var detail);
        if (parsed is null) return PutManifestResult.Fail(OciErrorCode.ManifestInvalid, detail ?? "invalid manifest");

        var missingBlob = parsed.RequiredBlobs.FirstOrDefault(d => !_blobs.ContainsKey(d));
        if (missingBlob.Algorithm is not null) return PutManifestResult.Fail(OciErrorCode.ManifestBlobUnknown, $"blob {missingBlob} is not in {_name}");
        var missingChild = parsed.ChildManifests.FirstOrDefault(d => !_manifests.ContainsKey(d));
        if (missingChild.Algorithm is not null) return PutManifestResult.Fail(OciErrorCode.ManifestBlobUnknown, $"manifest {missingChild} is not in {_name}");

        if (tag is not null && _tags.TryGetValue(tag, out var current) && current != command.Digest && await ProtectingRuleAsync(tag) is { } rule)
        {
            return PutManifestResult.Fail(OciErrorCode.PolicyDenied,
                $"the tag {tag} of {_name} is immutable ({rule.Describe()}): it cannot be moved to another artifact");
        }

        var entry = new ManifestEntry(command.Digest, parsed.MediaType, command.Content.Length, parsed.ArtifactType, parsed.Subject, parsed.Annotations);
        var references = parsed.RequiredBlobs.Concat(parsed.OptionalBlobs.Where(_blobs.ContainsKey)).Concat(parsed.ChildManifests).ToList();
        try
        {
            await store.SaveManifestAsync(new ManifestRecord(_name, entry.Digest, entry.MediaType, entry.Size, entry.ArtifactType,
                entry.Subject, entry.Annotations, references, command.Content, command.Operator), tag);
        }
        catch (QuotaExceededException quota)
        {
            // The push wrote nothing; the refusal is an event of its own, outside that transaction.
            await outbox.AppendAsync([new RegistryEvent(EventTypes.QuotaExceed, clock.GetUtcNow(), command.Operator ?? "", quota.ProjectId, quota.Project,
                _name, entry.Digest.ToString(), tag is null ? [] : [tag], entry.MediaType, quota.Adding, QuotaSql.Detail(quota.Used, quota.Limit))]);
            return PutManifestResult.Fail(OciErrorCode.PolicyDenied, quota.Message);
        }

        if (!_manifests.ContainsKey(entry.Digest)) _manifests[entry.Digest] = entry;
        if (tag is not null) _tags[tag] = entry.Digest;
        Cache(entry.Digest, command.Content);
        return new PutManifestResult(null, null, entry.Digest, entry.Subject);
    }

    async Task<bool> IRepositoryGrain.DeleteManifestAsync(string reference, string? @operator)
    {
        if (!Digest.LooksLikeDigest(reference))
        {
            if (!_tags.ContainsKey(reference)) return false;
            await RefuseImmutableAsync([reference]);
            await store.DeleteTagAsync(_name, reference);
            _tags.Remove(reference);
            return true;
        }
        if (!Digest.TryParse(reference, out var digest) || !_manifests.ContainsKey(digest)) return false;
        await RefuseImmutableAsync(_tags.Where(t => t.Value == digest).Select(t => t.Key));
        await MoveToBinAsync(digest, @operator);
        return true;
    }

    async Task<int> IRepositoryGrain.DeleteAllAsync(string? @operator)
    {
        await RefuseImmutableAsync(_tags.Keys);
        var digests = _manifests.Values
            .OrderBy(m => MediaTypes.IsIndex(m.MediaType) ? 0 : 1)
            .Select(m => m.Digest)
            .ToList();
        var removed = 0;
        foreach (var digest in digests)
        {
            if (_manifests.ContainsKey(digest)) removed += await MoveToBinAsync(digest, @operator);
        }
        foreach (var digest in _blobs.Keys.ToList())
        {
            await store.UnlinkBlobAsync(_name, digest);
            _blobs.Remove(digest);
        }
        await store.DeleteIfEmptyAsync(_name);
        return removed;
    }

    async Task<RestoreResult> IRepositoryGrain.RestoreAsync(long binId)
    {
        var restored = await store.RestoreAsync(_name, binId);
        if (restored.Status != RestoreStatus.Restored) return new RestoreResult(restored.Status, restored.Detail);
        foreach (var m in restored.Manifests) _manifests[m.Digest] = m;
        foreach (var (tag, digest) in restored.Tags) _tags[tag] = digest;
        foreach (var (digest, size) in restored.Blobs) _blobs[digest] = size;
        return new RestoreResult(RestoreStatus.Restored, null, restored.Manifests[0].Digest);
    }

    /// <summary>Moves an artifact and what goes with it (see <see cref="GroupAsync"/>) to the recycle bin; returns how many manifests went.</summary>
    private async Task<int> MoveToBinAsync(Digest digest, string? @operator)
    {
        var group = await GroupAsync(digest);
        await store.DeleteManifestsAsync(_name, group, string.IsNullOrEmpty(@operator) ? "system" : @operator);
        foreach (var d in group) Forget(d);
        return group.Count;
    }

    private static readonly string[] CosignTagSuffixes = ["sig", "att", "sbom"];

    /// <summary>
    /// What deleting <paramref name="root"/> deletes, as Harbor does: the artifact, its accessories
    /// (referrers and cosign's tag-named signatures, attestations and SBOMs) and, for an index, the
    /// children no tag and no index outside the group hold; recursively, root first.
    /// </summary>
    private async Task<List<Digest>> GroupAsync(Digest root)
    {
        var group = new List<Digest> { root };
        var seen = new HashSet<Digest> { root };
        Dictionary<Digest, List<Digest>>? holders = null;
        var tagged = _tags.Values.ToHashSet();
        for (var i = 0; i < group.Count; i++)
        {
            var d = group[i];
            foreach (var referrer in _manifests.Values.Where(m => m.Subject == d).Select(m => m.Digest).OrderBy(x => x.ToString(), StringComparer.Ordinal))
            {
                if (seen.Add(referrer)) group.Add(referrer);
            }
            foreach (var suffix in CosignTagSuffixes)
            {
                if (_tags.TryGetValue($"{d.Algorithm}-{d.Hex}.{suffix}", out var accessory) && _manifests.ContainsKey(accessory) && seen.Add(accessory))
                    group.Add(accessory);
            }
            if (!_manifests.TryGetValue(d, out var entry) || !MediaTypes.IsIndex(entry.MediaType)) continue;
            holders ??= await IndexHoldersAsync();
            foreach (var child in await ChildrenAsync(entry))
            {
                if (!_manifests.ContainsKey(child) || tagged.Contains(child) || seen.Contains(child)) continue;
                if (holders.TryGetValue(child, out var by) && by.Any(h => !seen.Contains(h))) continue;
                seen.Add(child);
                group.Add(child);
            }
        }
        return group;
    }

    /// <summary>For every child manifest, the indexes of this repository that list it.</summary>
    private async Task<Dictionary<Digest, List<Digest>>> IndexHoldersAsync()
    {
        var holders = new Dictionary<Digest, List<Digest>>();
        foreach (var index in _manifests.Values.Where(m => MediaTypes.IsIndex(m.MediaType)).ToList())
        {
            foreach (var child in await ChildrenAsync(index))
            {
                if (!holders.TryGetValue(child, out var list)) holders[child] = list = [];
                list.Add(index.Digest);
            }
        }
        return holders;
    }

    private async Task<IReadOnlyList<Digest>> ChildrenAsync(ManifestEntry index)
    {
        if (!_content.TryGetValue(index.Digest, out var content))
        {
            content = await store.GetManifestContentAsync(_name, index.Digest);
            if (content is null) return [];
        }
        return ManifestParser.Parse(content, index.MediaType, out _)?.ChildManifests ?? [];
    }

    /// <summary>The first enabled immutable rule of the project protecting <paramref name="tag"/> here, or null.</summary>
    private async Task<ImmutableRule?> ProtectingRuleAsync(string tag)
    {
        var rules = await GrainFactory.GetGrain<IProjectGrain>(RepositoryName.ProjectOf(_name)).GetImmutableRulesAsync();
        return rules.FirstOrDefault(r => r.Protects(_name, tag));
    }

    /// <summary>Throws <see cref="ImmutableTagException"/> when an enabled immutable rule protects any of <paramref name="tags"/>.</summary>
    private async Task RefuseImmutableAsync(IEnumerable<string> tags)
    {
        var list = tags.ToList();
        if (list.Count == 0) return;
        var rules = await GrainFactory.GetGrain<IProjectGrain>(RepositoryName.ProjectOf(_name)).GetImmutableRulesAsync();
        foreach (var tag in list.Order(StringComparer.Ordinal))
        {
            if (rules.FirstOrDefault(r => r.Protects(_name, tag)) is { } rule)
                throw new ImmutableTagException($"the tag {tag} of {_name} is immutable ({rule.Describe()}): it cannot be deleted");
        }
    }

    /// <summary>Drops a deleted manifest, its tags and its cached bytes from memory.</summary>
    private void Forget(Digest digest)
    {
        _manifests.Remove(digest);
        foreach (var tag in _tags.Where(t => t.Value == digest).Select(t => t.Key).ToList()) _tags.Remove(tag);
        if (_content.Remove(digest, out var bytes)) _contentBytes -= bytes.Length;
    }

    Task<ImmutableArray<ReferrerDescriptor>> IRepositoryGrain.GetReferrersAsync(Digest subject, string? artifactType)
    {
        ReleaseIfEmpty();
        return Task.FromResult(_manifests.Values
            .Where(m => m.Subject == subject && (artifactType is null || m.ArtifactType == artifactType))
            .OrderBy(m => m.Digest.ToString(), StringComparer.Ordinal)
            .Select(m => new ReferrerDescriptor(m.Digest, m.MediaType, m.Size, m.ArtifactType, m.Annotations))
            .ToImmutableArray());
    }

    Task<long?> IRepositoryGrain.GetBlobSizeAsync(Digest digest)
    {
        ReleaseIfEmpty();
        return Task.FromResult(_blobs.TryGetValue(digest, out var size) ? size : (long?)null);
    }

    /// <summary>
    /// Reads of a repository that holds nothing (any name can be asked for) do not keep an
    /// activation alive; everything it would hold is in the store, so a later write just reloads.
    /// </summary>
    private void ReleaseIfEmpty()
    {
        if (_manifests.Count == 0 && _blobs.Count == 0) DeactivateOnIdle();
    }

    async Task<bool> IRepositoryGrain.LinkBlobAsync(Digest digest, long size)
    {
        // Re-links are written too: they restart the garbage collector's time window.
        if (!await store.LinkBlobAsync(_name, digest, size))
        {
            _blobs.Remove(digest);
            return false;
        }
        _blobs[digest] = size;
        return true;
    }

    /// <summary>
    /// The garbage collector's unlink. Writes are serialized here, so a manifest push either
    /// committed before this (its reference refuses the unlink) or comes after and no longer finds
    /// the blob (MANIFEST_BLOB_UNKNOWN).
    /// </summary>
    async Task<bool> IRepositoryGrain.UnlinkUnreferencedBlobAsync(Digest digest)
    {
        if (!await store.UnlinkUnreferencedBlobAsync(_name, digest)) return false;
        _blobs.Remove(digest);
        ReleaseIfEmpty();
        return true;
    }

    async Task<bool> IRepositoryGrain.UnlinkBlobAsync(Digest digest)
    {
        if (!_blobs.ContainsKey(digest)) return false;
        await store.UnlinkBlobAsync(_name, digest);
        _blobs.Remove(digest);
        return true;
    }

    private ManifestEntry? Resolve(string reference)
    {
        if (Digest.LooksLikeDigest(reference))
            return Digest.TryParse(reference, out var digest) && _manifests.TryGetValue(digest, out var byDigest) ? byDigest : null;
        return _tags.TryGetValue(reference, out var tagged) && _manifests.TryGetValue(tagged, out var byTag) ? byTag : null;
    }

    private void Cache(Digest digest, byte[] content)
    {
        if (_content.ContainsKey(digest) || _contentBytes + content.Length > ContentCacheLimit) return;
        _content[digest] = content;
        _contentBytes += content.Length;
    }
}
