using System.Text.Json;

namespace Registry.Api.Tests;

/// <summary>Assertions on distribution-API responses that print the body when they fail.</summary>
public static class Expect
{
    public static async Task StatusAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        if (response.StatusCode == status) return;
        var body = await response.Content.ReadAsStringAsync();
        Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)status} {status}, got {(int)response.StatusCode} {response.StatusCode}: {Truncate(body)}");
    }

    /// <summary>The status, a JSON body of the spec's shape and <paramref name="code"/> among its error codes.</summary>
    public static async Task ErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        await StatusAsync(response, status);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains(code, ErrorCodes(body));
    }

    public static IReadOnlyList<string?> ErrorCodes(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("code").GetString()).ToList();
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        await StatusAsync(response, HttpStatusCode.OK);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    /// <summary>A header from the response or its content headers; null when absent.</summary>
    public static string? Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : null;

    public static IReadOnlyList<string> Strings(this JsonElement element, string property) =>
        element.GetProperty(property).EnumerateArray().Select(e => e.GetString()!).ToList();

    private static string Truncate(string s) => s.Length > 2000 ? s[..2000] + "…" : s;
}
