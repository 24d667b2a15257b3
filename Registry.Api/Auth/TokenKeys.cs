using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Registry.Api.Auth;

/// <summary>
/// The RS256 key that signs registry tokens, created at first start and kept in the data path
/// (<c>keys/token-signing.pem</c>, owner-only) so tokens survive restarts.
/// </summary>
public sealed class TokenKeys
{
    public TokenKeys(string dataPath)
    {
        var path = Path.Combine(Path.GetFullPath(dataPath), "keys", "token-signing.pem");
        var rsa = RSA.Create();
        if (File.Exists(path))
        {
            rsa.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            rsa.KeySize = 2048;
            var directory = Path.GetDirectoryName(path)!;
            var temp = path + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            else
            {
                Directory.CreateDirectory(directory);
            }
            using (var writer = new StreamWriter(temp, System.Text.Encoding.ASCII, options)) writer.Write(rsa.ExportPkcs8PrivateKeyPem());
            File.Move(temp, path, overwrite: true);
        }
        var kid = Base64UrlEncoder.Encode(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()))[..16];
        Key = new RsaSecurityKey(rsa) { KeyId = kid };
        Credentials = new SigningCredentials(Key, SecurityAlgorithms.RsaSha256);
    }

    public RsaSecurityKey Key { get; }

    public SigningCredentials Credentials { get; }
}
