using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using Registry.Grains.Metadata;

namespace Registry.Api.Auth;

/// <summary>
/// The RS256 key that signs registry tokens. It lives in the metadata database (the
/// <c>secrets</c> table), so every node of a cluster signs and verifies with the same key and
/// tokens survive restarts; the first node to start creates it.
/// </summary>
public sealed class TokenKeys
{
    public const string SecretName = "token-signing-key";

    private RsaSecurityKey? _key;
    private SigningCredentials? _credentials;

    public RsaSecurityKey Key => _key ?? throw new InvalidOperationException("the token signing key is not loaded yet");

    public SigningCredentials Credentials => _credentials ?? throw new InvalidOperationException("the token signing key is not loaded yet");

    /// <summary>
    /// Loads the cluster's key, creating it when there is none. A key file left by an earlier
    /// version under <c>keys/token-signing.pem</c> is adopted so its tokens stay valid.
    /// </summary>
    public async Task LoadAsync(IAccountStore accounts, string dataPath, CancellationToken cancellationToken)
    {
        var legacy = Path.Combine(Path.GetFullPath(dataPath), "keys", "token-signing.pem");
        string candidate;
        if (File.Exists(legacy))
        {
            candidate = await File.ReadAllTextAsync(legacy, cancellationToken);
        }
        else
        {
            using var fresh = RSA.Create(2048);
            candidate = fresh.ExportPkcs8PrivateKeyPem();
        }

        Load(await accounts.GetOrAddSecretAsync(SecretName, candidate, cancellationToken));
    }

    public void Load(string pem)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        var kid = Base64UrlEncoder.Encode(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()))[..16];
        _key = new RsaSecurityKey(rsa) { KeyId = kid };
        _credentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256);
    }
}
