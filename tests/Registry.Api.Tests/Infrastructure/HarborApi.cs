using System.Net.Http.Json;
using System.Text.Json;

namespace Registry.Api.Tests;

/// <summary>Calls to the management API (<c>/api/v2.0</c>) as one caller, with assertions that print the body.</summary>
public sealed class HarborApi(OciClient client)
{
    public OciClient Client { get; } = client;

    private static string Url(string path) => path.StartsWith('/') && !path.StartsWith("/api/") ? "/api/v2.0" + path : path;

    public Task<HttpResponseMessage> GetAsync(string path) => Client.GetAsync(Url(path));

    public Task<HttpResponseMessage> DeleteAsync(string path) => Client.DeleteAsync(Url(path));

    public Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, string path, object? body, Action<HttpRequestMessage>? configure = null) =>
        Client.SendAsync(method, Url(path), body is null ? null : JsonContent.Create(body, options: new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }), configure);

    public Task<HttpResponseMessage> PostAsync(string path, object? body) => SendJsonAsync(HttpMethod.Post, path, body);

    public Task<HttpResponseMessage> PutAsync(string path, object? body) => SendJsonAsync(HttpMethod.Put, path, body);

    public Task<HttpResponseMessage> PatchAsync(string path, object? body) => SendJsonAsync(HttpMethod.Patch, path, body);

    public async Task<JsonElement> JsonAsync(string path) => await Expect.JsonAsync(await GetAsync(path));

    /// <summary>POSTs and expects 201; returns the id at the end of <c>Location</c>.</summary>
    public async Task<long> CreateAsync(string path, object body)
    {
        var response = await PostAsync(path, body);
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        return long.Parse(response.Headers.Location!.ToString().Split('/')[^1]);
    }

    public Task<long> CreateProjectAsync(string name, bool isPublic = false) =>
        CreateAsync("/projects", new { project_name = name, metadata = new { @public = isPublic ? "true" : "false" } });

    /// <summary>Creates a user with a policy-conforming password; returns its id and password.</summary>
    public async Task<(long Id, string Password)> CreateUserAsync(string username)
    {
        var password = "Pw1-" + Guid.NewGuid().ToString("N")[..12];
        var id = await CreateAsync("/users", new { username, email = $"{username}@example.org", realname = username, password });
        return (id, password);
    }

    public Task<long> AddMemberAsync(string project, string username, int role) =>
        CreateAsync($"/projects/{project}/members", new { role_id = role, member_user = new { username } });
}

public static class HarborExpect
{
    /// <summary>Harbor's error shape with the status and code.</summary>
    public static async Task<string> ErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? code = null)
    {
        await Expect.StatusAsync(response, status);
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        var error = Assert.Single(document.RootElement.GetProperty("errors").EnumerateArray());
        if (code is not null) Assert.Equal(code, error.GetProperty("code").GetString());
        return error.GetProperty("message").GetString()!;
    }
}
