using System.Text.Json;
using Registry.Grains.Abstractions;
using Registry.Grains.Manifests;

namespace Registry.Api.Oci;

/// <summary><c>/v2/&lt;name&gt;/referrers/&lt;digest&gt;</c>: an OCI index of the manifests whose subject is that digest.</summary>
public static class ReferrerEndpoints
{
    public static async Task GetAsync(HttpContext context, OciRoute route, OciServices s)
    {
        if (!Digest.TryParse(route.Reference, out var subject)) { await OciErrors.WriteAsync(context, OciErrorCode.DigestInvalid, route.Reference); return; }
        var artifactType = context.Request.Query["artifactType"].ToString();
        var filter = artifactType.Length > 0 ? artifactType : null;
        var referrers = await s.Grains.GetGrain<IRepositoryGrain>(route.Name).GetReferrersAsync(subject, filter);

        if (filter is not null) context.Response.Headers["OCI-Filters-Applied"] = "artifactType";
        context.Response.ContentType = MediaTypes.OciIndex;
        await using var w = new Utf8JsonWriter(context.Response.Body);
        w.WriteStartObject();
        w.WriteNumber("schemaVersion", 2);
        w.WriteString("mediaType", MediaTypes.OciIndex);
        w.WriteStartArray("manifests");
        foreach (var r in referrers)
        {
            w.WriteStartObject();
            w.WriteString("mediaType", r.MediaType);
            w.WriteString("digest", r.Digest.ToString());
            w.WriteNumber("size", r.Size);
            if (r.ArtifactType is not null) w.WriteString("artifactType", r.ArtifactType);
            if (r.Annotations is { Count: > 0 })
            {
                w.WriteStartObject("annotations");
                foreach (var (key, value) in r.Annotations) w.WriteString(key, value);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        await w.FlushAsync();
    }
}
