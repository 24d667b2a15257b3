using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Registry.Api.Auth;
using Registry.Grains.Abstractions;
using Registry.Grains.Storage;

namespace Registry.Api.Oci;

/// <summary>
/// <c>/v2/&lt;name&gt;/blobs/uploads/</c>: sessions, chunks, monolithic pushes and mounts. Bytes
/// stream from Kestrel into the blob store, hashed in the same pass; the session grain only
/// leases the right to append and records the new offset.
/// </summary>
public static partial class UploadEndpoints
{
    [GeneratedRegex(@"^(?:bytes )?(\d{1,19})-(\d{1,19})$")]
    private static partial Regex ContentRangePattern();

    public static async Task StartAsync(HttpContext context, OciRoute route, OciServices s, Caller caller)
    {
        var query = context.Request.Query;
        if (query.ContainsKey("mount") && await TryMountAsync(context, route, s, caller)) return;
        if (query.TryGetValue("digest", out var digestValue))
        {
            if (!Digest.TryParse(digestValue, out var digest)) { await OciErrors.WriteAsync(context, OciErrorCode.DigestInvalid, digestValue); return; }
            await MonolithicAsync(context, route, s, digest);
            return;
        }
        var id = CheckedBlobStore.NewUploadId();
        await s.Grains.GetGrain<IUploadSessionGrain>(id).StartAsync(route.Name);
        WriteSession(context, route.Name, id, 0, StatusCodes.Status202Accepted);
    }

    public static async Task StatusAsync(HttpContext context, OciRoute route, OciServices s)
    {
        var state = CheckedBlobStore.IsValidUploadId(route.Reference)
            ? await s.Grains.GetGrain<IUploadSessionGrain>(route.Reference).GetStateAsync(route.Name)
            : null;
        if (state is null) { await OciErrors.WriteAsync(context, OciErrorCode.BlobUploadUnknown, route.Reference); return; }
        WriteSession(context, route.Name, route.Reference, state.Offset, StatusCodes.Status204NoContent);
    }

    public static async Task PatchAsync(HttpContext context, OciRoute route, OciServices s)
    {
        if (await LeaseAsync(context, route, s) is not { } lease) return;
        var (session, granted) = lease;
        if (granted.Committed is { } stored)
        {
            await session.AbandonCompletionAsync(granted.LeaseId, stored);
            await OciErrors.WriteAsync(context, OciErrorCode.BlobUploadInvalid, $"the upload is already stored as {stored}; only the PUT completing it may follow");
            return;
        }
        var hash = s.Hashes.Take(route.Reference, granted.Offset);
        var offset = await AppendAsync(context, route.Reference, s, session, granted, hash);
        if (!await session.EndWriteAsync(granted.LeaseId, offset, release: true))
        {
            // Cancelled, swept or taken over while we wrote: what we wrote is not the session's.
            hash?.Dispose();
            await WriteRangeInvalidAsync(context, route, session);
            return;
        }
        if (hash is not null) s.Hashes.Put(route.Reference, hash, offset);
        WriteSession(context, route.Name, route.Reference, offset, StatusCodes.Status202Accepted);
    }

    public static async Task CompleteAsync(HttpContext context, OciRoute route, OciServices s)
    {
        if (!CheckedBlobStore.IsValidUploadId(route.Reference)) { await OciErrors.WriteAsync(context, OciErrorCode.BlobUploadUnknown, route.Reference); return; }
        var digestValue = context.Request.Query["digest"].ToString();
        if (!Digest.TryParse(digestValue, out var digest)) { await OciErrors.WriteAsync(context, OciErrorCode.DigestInvalid, digestValue); return; }
        if (await LeaseAsync(context, route, s) is not { } lease) return;
        var (session, granted) = lease;
        var state = await session.GetStateAsync(route.Name);
        if (granted.Committed is { } stored)
        {
            // A previous PUT stored the blob and then failed (503): this retry only links it.
            if (stored != digest)
            {
                await session.AbandonCompletionAsync(granted.LeaseId, stored);
                await OciErrors.WriteAsync(context, OciErrorCode.DigestInvalid, $"the upload is stored as {stored}");
                return;
            }
            await FinishAsync(context, route, s, session, granted.LeaseId, digest, granted.Offset, state?.StartedAt, alreadyStored: true);
            return;
        }
        var hash = s.Hashes.Take(route.Reference, granted.Offset);
        if (hash is not null && digest.Algorithm != Digest.Sha256) { hash.Dispose(); hash = null; }
        var size = await AppendAsync(context, route.Reference, s, session, granted, hash);
        // The lease is kept (not released) until the session is closed, so no chunk can land
        // between the digest check and the commit.
        if (!await session.EndWriteAsync(granted.LeaseId, size, release: false))
        {
            hash?.Dispose();
            await WriteRangeInvalidAsync(context, route, session);
            return;
        }
        Digest actual;
        try
        {
            using (hash)
            {
                actual = hash is not null ? Digest.FromHash(digest.Algorithm, hash.GetHashAndReset()) : await RecomputeAsync(s, route.Reference, digest, context.RequestAborted);
            }
        }
        catch
        {
            await session.AbandonCompletionAsync(granted.LeaseId, null);
            throw;
        }
        if (actual != digest)
        {
            await s.Blobs.DeleteUploadAsync(route.Reference);
            await session.CloseAsync(route.Name);
            await OciErrors.WriteAsync(context, OciErrorCode.DigestInvalid, $"uploaded content has digest {actual}");
            return;
        }
        await FinishAsync(context, route, s, session, granted.LeaseId, digest, size, state?.StartedAt, alreadyStored: false);
    }

    /// <summary>
    /// Stores the verified upload as its blob, links it and closes the session. When the cluster
    /// or a backing service fails on the way (503), the session and its bytes stay and the lease
    /// is given back, remembering the blob if it was stored: the client's retried PUT then
    /// succeeds instead of finding its upload gone.
    /// </summary>
    private static async Task FinishAsync(HttpContext context, OciRoute route, OciServices s, IUploadSessionGrain session, Guid leaseId,
        Digest digest, long size, DateTimeOffset? started, bool alreadyStored)
    {
        var stored = alreadyStored;
        bool linked;
        try
        {
            if (!stored)
            {
                await s.Blobs.CommitUploadAsync(route.Reference, digest);
                stored = true;
            }
            linked = await LinkStoredAsync(s, route.Name, digest, size);
        }
        catch
        {
            try { await session.AbandonCompletionAsync(leaseId, stored ? digest : null); }
            catch (Exception e) { s.Logger.LogWarning(e, "Could not give back the completing lease of upload {Upload}; it expires on its own", route.Reference); }
            throw;
        }
        try { await session.CloseAsync(route.Name); }
        catch (Exception e)
        {
            // The blob is stored and linked, so the push succeeded; the session row is left for the upload sweeper.
            s.Logger.LogWarning(e, "Could not close completed upload {Upload}; the sweeper will", route.Reference);
        }
        if (!linked) { await WriteCollectedAsync(context, digest); return; }
        if (started is { } t) s.Metrics.UploadCompleted(DateTimeOffset.UtcNow - t);
        WriteBlobCreated(context, route.Name, digest);
    }

    public static async Task CancelAsync(HttpContext context, OciRoute route, OciServices s)
    {
        var closed = CheckedBlobStore.IsValidUploadId(route.Reference) &&
            await s.Grains.GetGrain<IUploadSessionGrain>(route.Reference).CloseAsync(route.Name);
        if (!closed) { await OciErrors.WriteAsync(context, OciErrorCode.BlobUploadUnknown, route.Reference); return; }
        s.Hashes.Forget(route.Reference);
        await s.Blobs.DeleteUploadAsync(route.Reference);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>Links a blob readable in <c>from</c> into this repository; false means "open a normal session instead".</summary>
    private static async Task<bool> TryMountAsync(HttpContext context, OciRoute route, OciServices s, Caller caller)
    {
        var query = context.Request.Query;
        string from = query["from"].ToString();
        if (!Digest.TryParse(query["mount"], out var digest) || !RepositoryName.IsValid(from)) return false;
        if (!(await s.Policy.AllowedAsync(caller, from)).Contains(Actions.Pull)) return false;
        var size = await s.Grains.GetGrain<IRepositoryGrain>(from).GetBlobSizeAsync(digest);
        if (size is null) return false;
        // A blob the garbage collector is deleting is not mounted: the client uploads it instead.
        if (!await s.Grains.GetGrain<IRepositoryGrain>(route.Name).LinkBlobAsync(digest, size.Value)) return false;
        WriteBlobCreated(context, route.Name, digest);
        return true;
    }

    /// <summary>
    /// Links a committed blob. False when garbage collection is deleting that digest, or deleted
    /// its bytes between the commit (which keeps an existing blob) and the link: the bytes are not
    /// there to serve, so nothing stays linked and the client must upload the blob again.
    /// </summary>
    private static async Task<bool> LinkStoredAsync(OciServices s, string repository, Digest digest, long size)
    {
        var grain = s.Grains.GetGrain<IRepositoryGrain>(repository);
        if (!await grain.LinkBlobAsync(digest, size)) return false;
        if (await s.Blobs.GetSizeAsync(digest) is not null) return true;
        await grain.UnlinkUnreferencedBlobAsync(digest);
        return false;
    }

    private static Task WriteCollectedAsync(HttpContext context, Digest digest) =>
        OciErrors.WriteAsync(context, OciErrorCode.BlobUploadInvalid, $"blob {digest} was being garbage collected while this upload completed; upload it again");

    private static async Task MonolithicAsync(HttpContext context, OciRoute route, OciServices s, Digest digest)
    {
        var started = DateTimeOffset.UtcNow;
        var id = CheckedBlobStore.NewUploadId();
        try
        {
            using var hash = IncrementalHash.CreateHash(digest.HashAlgorithm);
            var size = await s.Blobs.AppendUploadAsync(id, 0, context.Request.Body, hash, context.RequestAborted);
            s.Metrics.BytesIn(size);
            var actual = Digest.FromHash(digest.Algorithm, hash.GetHashAndReset());
            if (actual != digest)
            {
                await s.Blobs.DeleteUploadAsync(id);
                await OciErrors.WriteAsync(context, OciErrorCode.DigestInvalid, $"uploaded content has digest {actual}");
                return;
            }
            await CommitAsync(context, route, s, id, digest, size, started);
        }
        catch
        {
            await s.Blobs.DeleteUploadAsync(id);
            throw;
        }
    }

    private static async Task CommitAsync(HttpContext context, OciRoute route, OciServices s, string uploadId, Digest digest, long size, DateTimeOffset? started)
    {
        await s.Blobs.CommitUploadAsync(uploadId, digest);
        if (!await LinkStoredAsync(s, route.Name, digest, size)) { await WriteCollectedAsync(context, digest); return; }
        if (started is { } t) s.Metrics.UploadCompleted(DateTimeOffset.UtcNow - t);
        WriteBlobCreated(context, route.Name, digest);
    }

    /// <summary>Checks the upload id and Content-Range, then leases the session; on failure the error is written and null returned.</summary>
    private static async Task<(IUploadSessionGrain Session, UploadLease Lease)?> LeaseAsync(HttpContext context, OciRoute route, OciServices s)
    {
        if (!CheckedBlobStore.IsValidUploadId(route.Reference)) { await OciErrors.WriteAsync(context, OciErrorCode.BlobUploadUnknown, route.Reference); return null; }
        long? start = null;
        var range = context.Request.Headers.ContentRange.ToString();
        var session = s.Grains.GetGrain<IUploadSessionGrain>(route.Reference);
        if (range.Length > 0)
        {
            var match = ContentRangePattern().Match(range);
            if (!match.Success || !long.TryParse(match.Groups[1].Value, out var first) || !long.TryParse(match.Groups[2].Value, out var last) || last < first ||
                (context.Request.ContentLength is { } length && length != last - first + 1))
            {
                await WriteRangeInvalidAsync(context, route, session);
                return null;
            }
            start = first;
        }
        var lease = await session.BeginWriteAsync(route.Name, start, s.LocalSilo);
        switch (lease.Error)
        {
            case null: return (session, lease);
            case OciErrorCode.RangeInvalid: await WriteRangeInvalidAsync(context, route, session); return null;
            default: await OciErrors.WriteAsync(context, lease.Error.Value, route.Reference); return null;
        }
    }

    private static async Task WriteRangeInvalidAsync(HttpContext context, OciRoute route, IUploadSessionGrain session)
    {
        var state = await session.GetStateAsync(route.Name);
        if (state is null) { await OciErrors.WriteAsync(context, OciErrorCode.BlobUploadUnknown, route.Reference); return; }
        context.Response.Headers.Location = OciLocations.Upload(route.Name, route.Reference);
        context.Response.Headers.Range = OciLocations.Range(state.Offset);
        context.Response.Headers["Docker-Upload-UUID"] = route.Reference;
        await OciErrors.WriteAsync(context, OciErrorCode.RangeInvalid, $"the upload holds {state.Offset} bytes");
    }

    /// <summary>
    /// Streams the request body into the upload while renewing the lease; a writer that loses its
    /// lease stops writing. If anything fails the lease is released with the true stored size.
    /// </summary>
    private static async Task<long> AppendAsync(HttpContext context, string id, OciServices s, IUploadSessionGrain session, UploadLease lease,
        IncrementalHash? hash)
    {
        using var writing = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var renewal = RenewWhileWritingAsync(session, lease.LeaseId, writing);
        long written;
        try
        {
            written = await s.Blobs.AppendUploadAsync(id, lease.Offset, context.Request.Body, hash, writing.Token);
        }
        catch
        {
            hash?.Dispose();
            var stored = await s.Blobs.GetUploadSizeAsync(id);
            await session.EndWriteAsync(lease.LeaseId, Math.Max(stored, 0), release: true);
            throw;
        }
        finally
        {
            await writing.CancelAsync();
            await renewal;
        }
        s.Metrics.BytesIn(written);
        return lease.Offset + written;
    }

    private static async Task RenewWhileWritingAsync(IUploadSessionGrain session, Guid leaseId, CancellationTokenSource writing)
    {
        using var timer = new PeriodicTimer(UploadLease.RenewEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(writing.Token))
            {
                if (!await session.RenewAsync(leaseId)) { await writing.CancelAsync(); return; }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<Digest> RecomputeAsync(OciServices s, string id, Digest expected, CancellationToken cancellationToken)
    {
        await using var stream = await s.Blobs.OpenUploadAsync(id, cancellationToken);
        using var hash = IncrementalHash.CreateHash(expected.HashAlgorithm);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0) hash.AppendData(buffer, 0, read);
        return Digest.FromHash(expected.Algorithm, hash.GetHashAndReset());
    }

    private static void WriteSession(HttpContext context, string name, string id, long offset, int status)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.Headers.Location = OciLocations.Upload(name, id);
        response.Headers.Range = OciLocations.Range(offset);
        response.Headers["Docker-Upload-UUID"] = id;
        response.ContentLength = 0;
    }

    private static void WriteBlobCreated(HttpContext context, string name, Digest digest)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status201Created;
        response.Headers.Location = OciLocations.Blob(name, digest);
        response.Headers["Docker-Content-Digest"] = digest.ToString();
        response.ContentLength = 0;
    }
}
