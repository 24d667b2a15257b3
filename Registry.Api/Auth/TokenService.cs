using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Registry.Api.Hosting;

namespace Registry.Api.Auth;

/// <summary>
/// Issues and checks the registry's bearer tokens (RS256 JWTs carrying Docker's <c>access</c>
/// claim). Only our own key, RS256, our issuer and audience are accepted.
/// </summary>
public sealed class TokenService
{
    private readonly JsonWebTokenHandler _handler = new();
    private readonly TokenKeys _keys;
    private readonly RegistryOptions _options;
    private readonly TimeProvider _clock;
    private readonly TokenValidationParameters _validation;

    public TokenService(TokenKeys keys, IOptions<RegistryOptions> options, TimeProvider clock)
    {
        _keys = keys;
        _options = options.Value;
        _clock = clock;
        _validation = new TokenValidationParameters
        {
            ValidIssuer = _options.TokenIssuer,
            ValidAudience = _options.TokenService,
            IssuerSigningKey = keys.Key,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            TryAllIssuerSigningKeys = false,
            LifetimeValidator = (notBefore, expires, _, _) =>
                (notBefore is null || notBefore <= _clock.GetUtcNow().UtcDateTime.AddSeconds(30)) &&
                expires is not null && expires > _clock.GetUtcNow().UtcDateTime.AddSeconds(-30),
        };
    }

    public (string Token, DateTimeOffset IssuedAt) Issue(string? subject, IReadOnlyList<TokenAccess> access, int lifetimeSeconds)
    {
        var now = _clock.GetUtcNow();
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("iss", _options.TokenIssuer);
            w.WriteString("sub", subject ?? "");
            w.WriteString("aud", _options.TokenService);
            w.WriteNumber("iat", now.ToUnixTimeSeconds());
            w.WriteNumber("nbf", now.ToUnixTimeSeconds() - 5);
            w.WriteNumber("exp", now.ToUnixTimeSeconds() + lifetimeSeconds);
            w.WriteString("jti", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
            w.WriteStartArray("access");
            foreach (var grant in access)
            {
                w.WriteStartObject();
                w.WriteString("type", grant.Type);
                w.WriteString("name", grant.Name);
                w.WriteStartArray("actions");
                foreach (var action in grant.Actions) w.WriteStringValue(action);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        var token = _handler.CreateToken(Encoding.UTF8.GetString(buffer.ToArray()), _keys.Credentials,
            new Dictionary<string, object> { ["typ"] = "JWT" });
        return (token, now);
    }

    /// <summary>The caller a valid token stands for, or null for any token we did not issue or that has expired.</summary>
    public async Task<Caller?> ValidateAsync(string token)
    {
        if (token.Length > 16 * 1024) return null;
        var result = await _handler.ValidateTokenAsync(token, _validation);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt || jwt.Alg != SecurityAlgorithms.RsaSha256) return null;
        var grants = new List<TokenAccess>();
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
        if (payload.RootElement.TryGetProperty("access", out var access) && access.ValueKind == JsonValueKind.Array)
        {
            foreach (var grant in access.EnumerateArray())
            {
                var actions = grant.TryGetProperty("actions", out var a) && a.ValueKind == JsonValueKind.Array
                    ? a.EnumerateArray().Select(x => x.GetString() ?? "").ToList()
                    : [];
                grants.Add(new TokenAccess(grant.GetProperty("type").GetString() ?? "", grant.GetProperty("name").GetString() ?? "", actions));
            }
        }
        var subject = string.IsNullOrEmpty(jwt.Subject) ? null : jwt.Subject;
        return new Caller(subject, false, grants);
    }
}
