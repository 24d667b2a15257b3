using System.Text.Json;

namespace Registry.Api.Tests;

/// <summary>The generated OpenAPI document describes every management endpoint properly, and Scalar serves it.</summary>
public sealed class OpenApiTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    [Fact]
    public async Task EveryManagementEndpointHasASummaryTypedResponsesAndASecurityScheme()
    {
        var document = await Expect.JsonAsync(await registry.Anonymous.GetAsync("/openapi/v1.json"));
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("basic", schemes.GetProperty("basic").GetProperty("scheme").GetString());
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.True(document.GetProperty("security").GetArrayLength() > 0);

        var operations = 0;
        var problems = new List<string>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            if (!path.Name.StartsWith("/api/v2.0/")) problems.Add($"{path.Name}: outside the management API");
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "put" or "post" or "delete" or "patch" or "head"))
            {
                operations++;
                var name = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                if (!operation.Value.TryGetProperty("summary", out var summary) || string.IsNullOrWhiteSpace(summary.GetString())) problems.Add($"{name}: no summary");
                if (!operation.Value.TryGetProperty("responses", out var responses) || !responses.EnumerateObject().Any()) { problems.Add($"{name}: no responses"); continue; }
                var ok = responses.EnumerateObject().Where(r => r.Name.StartsWith('2')).ToList();
                if (ok.Count == 0) problems.Add($"{name}: no success response");
                if (operation.Name == "get" && !path.Name.EndsWith("/ping") && !ok.Any(r => r.Value.TryGetProperty("content", out var c) && c.EnumerateObject().Any(m => m.Value.TryGetProperty("schema", out _))))
                    problems.Add($"{name}: success response without a schema");
                if (operation.Value.TryGetProperty("security", out var security) && security.GetArrayLength() == 0) problems.Add($"{name}: security removed");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(operations >= 40, $"only {operations} operations documented");
        Assert.True(document.GetProperty("paths").TryGetProperty("/api/v2.0/projects/{project_name_or_id}/members", out _));
        Assert.DoesNotContain(document.GetProperty("paths").EnumerateObject(), p => p.Name.StartsWith("/v2"));
    }

    [Fact]
    public async Task ScalarServesTheReference()
    {
        var response = await registry.Anonymous.GetAsync("/scalar");
        if (response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.MovedPermanently) response = await registry.Anonymous.GetAsync(response.Headers.Location!.ToString());
        await Expect.StatusAsync(response, HttpStatusCode.OK);
        Assert.Contains("text/html", response.Content.Headers.ContentType!.ToString());
        Assert.Contains("openapi/v1.json", await response.Content.ReadAsStringAsync());
        _ = JsonValueKind.Object;
    }
}
