using Registry.Api.Auth;
using Microsoft.Net.Http.Headers;
using Registry.Grains.Abstractions;
using Registry.Grains.Manifests;

namespace Registry.Api.Oci;

/// <summary><c>/v2/&lt;name&gt;/manifests/&lt;reference&gt;</c>: exact bytes in, exact bytes out.</summary>
public static class ManifestEndpoints
{
    public static async Task GetAsync(HttpContext context, OciRoute route, OciServices s, Caller? caller = null)
    {
        if (CheckReference(route.Reference) is { } invalid) { await OciErrors.WriteAsync(context, invalid, route.Reference); return; }
        var head = HttpMethods.IsHead(context.Request.Method);
        var grain = s.Grains.GetGrain<IRepositoryGrain>(route.Name);
        var manifest = await grain.GetManifestAsync(route.Reference, withContent: !head);
        if (manifest is null) { await OciErrors.WriteAsync(context, OciErrorCode.ManifestUnknown, route.Reference); return; }

        var requested = manifest.Digest;
        var accepted = Accepted(context.Request.Headers.Accept);
        if (accepted is not null && !accepted.Contains(manifest.MediaType))
        {
            manifest = await NegotiateAsync(grain, manifest, accepted, head);
            if (manifest is null)
            {
                await OciErrors.WriteAsync(context, OciErrorCode.ManifestUnknown, "the manifest's media type is not in the Accept header");
                return;
            }
        }
        var response = context.Response;
        response.ContentType = manifest.MediaType;
        response.ContentLength = manifest.Size;
        response.Headers["Docker-Content-Digest"] = manifest.Digest.ToString();
        response.Headers.ETag = $"\"{manifest.Digest}\"";
        if (head) return;
        // A look at a manifest (the portal's artifact page says so) is not a pull: no pull time or count.
        if (!context.Request.Headers.ContainsKey(PreviewHeader))
        {
            s.Metrics.Pulled();
            s.Pulls.Record(route.Name, requested, Digest.LooksLikeDigest(route.Reference) ? null : route.Reference, caller?.Username);
        }
        await response.Body.WriteAsync(manifest.Content, context.RequestAborted);
    }

    /// <summary>Sent by a client that shows a manifest rather than pulls an image (the portal).</summary>
    public const string PreviewHeader = "X-Registry-Preview";

    public static async Task PutAsync(HttpContext context, OciRoute route, OciServices s, Caller caller)
    {
        if (CheckReference(route.Reference) is { } invalid) { await OciErrors.WriteAsync(context, invalid, route.Reference); return; }
        var limit = s.Options.MaxManifestBytes;
        if (context.Request.ContentLength > limit) { await OciErrors.WriteAsync(context, OciErrorCode.ManifestTooLarge, $"limit is {limit} bytes"); return; }
        var content = await ReadCappedAsync(context.Request.Body, limit, context.RequestAborted);
        if (content is null) { await OciErrors.WriteAsync(context, OciErrorCode.ManifestTooLarge, $"limit is {limit} bytes"); return; }

        var digest = Digest.Compute(content);
        if (Digest.TryParse(route.Reference, out var pushedAs))
        {
            digest = Digest.Compute(content, pushedAs.Algorithm);
            if (digest != pushedAs) { await OciErrors.WriteAsync(context, OciErrorCode.DigestInvalid, $"content digest is {digest}"); return; }
        }
        var mediaType = MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var parsed) ? parsed.MediaType.ToString() : "";
        var result = await s.Grains.GetGrain<IRepositoryGrain>(route.Name)
            .PutManifestAsync(new PutManifestCommand(route.Reference, mediaType, content, digest, caller.Username ?? "anonymous"));
        if (result.Error is { } error) { await OciErrors.WriteAsync(context, error, result.Detail); return; }

        s.Metrics.Pushed();
        var response = context.Response;
        response.StatusCode = StatusCodes.Status201Created;
        response.Headers.Location = OciLocations.Manifest(route.Name, result.Digest);
        response.Headers["Docker-Content-Digest"] = result.Digest.ToString();
        if (result.Subject is { } subject) response.Headers["OCI-Subject"] = subject.ToString();
        response.ContentLength = 0;
        await AuditAsync(s, caller, route, Digest.LooksLikeDigest(route.Reference) ? $"{route.Name}@{result.Digest}" : $"{route.Name}:{route.Reference}", "create");
    }

    public static async Task DeleteAsync(HttpContext context, OciRoute route, OciServices s, Caller caller)
    {
        if (CheckReference(route.Reference) is { } invalid) { await OciErrors.WriteAsync(context, invalid, route.Reference); return; }
        bool deleted;
        try
        {
            deleted = await s.Grains.GetGrain<IRepositoryGrain>(route.Name).DeleteManifestAsync(route.Reference, caller.Username ?? "anonymous");
        }
        catch (ImmutableTagException immutable)
        {
            await OciErrors.WriteAsync(context, OciErrorCode.PolicyDenied, immutable.Message);
            return;
        }
        if (!deleted)
        {
            await OciErrors.WriteAsync(context, OciErrorCode.ManifestUnknown, route.Reference);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
        var tag = !Digest.LooksLikeDigest(route.Reference);
        await AuditAsync(s, caller, route, tag ? $"{route.Name}:{route.Reference}" : $"{route.Name}@{route.Reference}", "delete", tag ? "tag" : "artifact");
    }

    /// <summary>Pushes and deletes go to the audit log under the repository's project.</summary>
    private static async Task AuditAsync(OciServices s, Caller caller, OciRoute route, string resource, string operation, string type = "artifact")
    {
        var project = await s.Grains.GetGrain<IProjectGrain>(RepositoryName.ProjectOf(route.Name)).GetAsync();
        await s.Audit.RecordAsync(caller.Username ?? "anonymous", project?.Id, resource, type, operation);
    }

    private static OciErrorCode? CheckReference(string reference) =>
        Digest.LooksLikeDigest(reference)
            ? Digest.TryParse(reference, out _) ? null : OciErrorCode.DigestInvalid
            : RepositoryName.IsValidTag(reference) ? null : OciErrorCode.TagInvalid;

    /// <summary>
    /// When a client cannot take an index it is given the linux/amd64 image it points at, as
    /// distribution does; any other unacceptable type is not found.
    /// </summary>
    private static async Task<ManifestResponse?> NegotiateAsync(IRepositoryGrain grain, ManifestResponse manifest, HashSet<string> accepted, bool head)
    {
        if (!MediaTypes.IsIndex(manifest.MediaType)) return null;
        var full = manifest.Content is null ? await grain.GetManifestAsync(manifest.Digest.ToString(), true) : manifest;
        if (full?.Content is null || PlatformChild.Find(full.Content, "linux", "amd64") is not { } child) return null;
        var resolved = await grain.GetManifestAsync(child.ToString(), !head);
        return resolved is not null && accepted.Contains(resolved.MediaType) ? resolved : null;
    }

    /// <summary>The media types a client accepts, or null when it accepts anything.</summary>
    private static HashSet<string>? Accepted(Microsoft.Extensions.Primitives.StringValues accept)
    {
        if (accept.Count == 0) return null;
        var types = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in accept)
        {
            foreach (var item in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var parts = item.Split(';', StringSplitOptions.TrimEntries);
                if (parts.Skip(1).Any(p => p.Replace(" ", "") is "q=0" or "q=0.0" or "q=0.00" or "q=0.000")) continue;
                var type = parts[0];
                if (type is "*/*" or "application/*") return null;
                if (type.Length > 0) types.Add(type);
            }
        }
        return types.Count == 0 ? null : types;
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes whatever Content-Length claims; null when the body is larger.</summary>
    private static async Task<byte[]?> ReadCappedAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
