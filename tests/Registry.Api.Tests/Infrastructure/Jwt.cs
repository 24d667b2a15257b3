using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Registry.Api.Tests;

/// <summary>Hand-made JWTs, to present the registry with tokens it did not issue (or issued with the wrong claims).</summary>
public static class Jwt
{
    public const string Issuer = "registry-token-issuer";
    public const string Audience = "registry";

    /// <summary>
    /// A Docker token payload granting <paramref name="actions"/> on <paramref name="repository"/>;
    /// <c>nbf</c> is <paramref name="notBefore"/>, by default a little before now (or before <paramref name="expires"/>).
    /// </summary>
    public static JsonObject Claims(string repository, string[] actions, DateTimeOffset? expires = null, string issuer = Issuer, string audience = Audience,
        DateTimeOffset? notBefore = null)
    {
        var now = DateTimeOffset.UtcNow;
        var exp = expires ?? now.AddMinutes(10);
        return new JsonObject
        {
            ["iss"] = issuer,
            ["sub"] = "admin",
            ["aud"] = audience,
            ["iat"] = Math.Min(now.ToUnixTimeSeconds(), exp.AddMinutes(-5).ToUnixTimeSeconds()),
            ["nbf"] = notBefore?.ToUnixTimeSeconds() ?? Math.Min(now.ToUnixTimeSeconds() - 5, exp.AddMinutes(-5).ToUnixTimeSeconds()),
            ["exp"] = exp.ToUnixTimeSeconds(),
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = new JsonArray(new JsonObject
            {
                ["type"] = "repository",
                ["name"] = repository,
                ["actions"] = new JsonArray(actions.Select(a => (JsonNode)a).ToArray()),
            }),
        };
    }

    public static string SignRs256(JsonObject claims, RSA key, string? kid) =>
        Sign(Header("RS256", kid), claims, input => key.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    /// <summary>
    /// RS256 with <paramref name="key"/>, which the header carries itself as a <c>jwk</c>: a verifier
    /// that trusted keys embedded in tokens would accept anything signed this way.
    /// </summary>
    public static string SignRs256WithEmbeddedJwk(JsonObject claims, RSA key, string? kid)
    {
        var parameters = key.ExportParameters(false);
        var header = Header("RS256", kid);
        header["jwk"] = new JsonObject { ["kty"] = "RSA", ["n"] = Base64UrlEncode(parameters.Modulus!), ["e"] = Base64UrlEncode(parameters.Exponent!) };
        return Sign(header, claims, input => key.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    /// <summary>RS256 with <paramref name="key"/>, whose self-signed certificate the header carries as <c>x5c</c>.</summary>
    public static string SignRs256WithX5c(JsonObject claims, RSA key, string? kid)
    {
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=" + Issuer, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var header = Header("RS256", kid);
        header["x5c"] = new JsonArray(Convert.ToBase64String(certificate.RawData));
        return Sign(header, claims, input => key.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    public static string SignHs256(JsonObject claims, byte[] secret, string? kid) =>
        Sign(Header("HS256", kid), claims, input => HMACSHA256.HashData(secret, input));

    public static string Unsigned(JsonObject claims, string? kid) => Sign(Header("none", kid), claims, _ => []);

    /// <summary>The <c>kid</c> from a token's header.</summary>
    public static string? KeyId(string token) =>
        JsonNode.Parse(Base64UrlDecode(token.Split('.')[0]))?["kid"]?.GetValue<string>();

    public static JsonElement Payload(string token)
    {
        using var document = JsonDocument.Parse(Base64UrlDecode(token.Split('.')[1]));
        return document.RootElement.Clone();
    }

    private static JsonObject Header(string alg, string? kid)
    {
        var header = new JsonObject { ["alg"] = alg, ["typ"] = "JWT" };
        if (kid is not null) header["kid"] = kid;
        return header;
    }

    private static string Sign(JsonObject header, JsonObject claims, Func<byte[], byte[]> signer)
    {
        var input = Base64UrlEncode(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64UrlEncode(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        return input + "." + Base64UrlEncode(signer(Encoding.ASCII.GetBytes(input)));
    }

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Base64UrlDecode(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}
