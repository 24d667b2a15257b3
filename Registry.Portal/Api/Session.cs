using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Registry.Portal.Api;

/// <summary>The user as the API describes them (<c>/users/current</c>).</summary>
public sealed record CurrentUser(long UserId, string Username, string Email, string Realname, bool SysadminFlag);

/// <summary>
/// Sign-in and sign-out. The password goes to the token service once and is forgotten; the
/// session cookie (encrypted by data protection) holds only the API token and who it is for, and
/// ends when the token does.
/// </summary>
public sealed class Session(IHttpClientFactory clients, IHttpContextAccessor accessor)
{
    public const string UserIdClaim = "user_id";
    public const string AdminClaim = "sysadmin";

    private sealed record TokenResponse([property: JsonPropertyName("token")] string Token, [property: JsonPropertyName("expires_in")] int ExpiresIn);

    /// <summary>Null on success, else the message to show.</summary>
    public async Task<string?> SignInAsync(string username, string password, CancellationToken cancellationToken)
    {
        var http = accessor.HttpContext!;
        var client = clients.CreateClient(ApiClientExtensions.ClientName);
        HttpResponseMessage response;
        try
        {
            response = await client.PostAsync("/service/token", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "password", ["username"] = username, ["password"] = password, ["service"] = "registry", ["client_id"] = "registry-portal",
            }), cancellationToken);
        }
        catch (HttpRequestException)
        {
            return "The registry API cannot be reached. Try again later.";
        }
        using (response)
        {
            if ((int)response.StatusCode == 429)
                return "Too many failed sign-ins for this user. Wait a few minutes and try again.";
            if (!response.IsSuccessStatusCode) return "Wrong username or password.";
            var token = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken);
            if (token is null) return "The registry API answered something unexpected.";

            using var me = new HttpRequestMessage(HttpMethod.Get, "/api/v2.0/users/current");
            me.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Token);
            using var meResponse = await client.SendAsync(me, cancellationToken);
            if (meResponse.StatusCode == System.Net.HttpStatusCode.NotFound) return "Robot accounts cannot sign in to the portal.";
            if (!meResponse.IsSuccessStatusCode) return "Wrong username or password.";
            var user = await meResponse.Content.ReadFromJsonAsync<CurrentUser>(RegistryApi.Json, cancellationToken);
            if (user is null) return "The registry API answered something unexpected.";

            var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, user.Username),
                new Claim(UserIdClaim, user.UserId.ToString()),
                new Claim(AdminClaim, user.SysadminFlag ? "true" : "false"),
                new Claim(RegistryApi.TokenClaim, token.Token),
            ], CookieAuthenticationDefaults.AuthenticationScheme);
            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity), new AuthenticationProperties
            {
                IsPersistent = false,
                ExpiresUtc = DateTimeOffset.UtcNow.AddSeconds(Math.Max(60, token.ExpiresIn - 30)),
            });
            return null;
        }
    }

    public Task SignOutAsync() => accessor.HttpContext!.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
}

public static class UserExtensions
{
    public static bool IsSysAdmin(this ClaimsPrincipal user) => user.FindFirst(Session.AdminClaim)?.Value == "true";

    public static long? UserId(this ClaimsPrincipal user) => long.TryParse(user.FindFirst(Session.UserIdClaim)?.Value, out var id) ? id : null;
}
