using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Registry.Api.Oci;

/// <summary>
/// Running SHA-256 states of uploads whose chunks arrived at this node, keyed by upload id and
/// valid only at the offset they reached. A chunk that lands elsewhere, or a restart, just drops
/// the state: the digest is then recomputed from the stored bytes at commit.
/// </summary>
public sealed class UploadHashes
{
    private const int MaxEntries = 4096;
    private readonly ConcurrentDictionary<string, (IncrementalHash Hash, long Offset, long Touched)> _states = new();

    /// <summary>Takes the state for appending at <paramref name="offset"/>; a fresh hash at offset 0, else null when unknown.</summary>
    public IncrementalHash? Take(string uploadId, long offset)
    {
        if (_states.TryRemove(uploadId, out var state))
        {
            if (state.Offset == offset) return state.Hash;
            state.Hash.Dispose();
        }
        return offset == 0 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
    }

    public void Put(string uploadId, IncrementalHash hash, long offset)
    {
        if (_states.Count >= MaxEntries) EvictOldest();
        _states[uploadId] = (hash, offset, Environment.TickCount64);
    }

    public void Forget(string uploadId)
    {
        if (_states.TryRemove(uploadId, out var state)) state.Hash.Dispose();
    }

    private void EvictOldest()
    {
        foreach (var (key, _) in _states.OrderBy(s => s.Value.Touched).Take(MaxEntries / 4).ToList()) Forget(key);
    }
}
