using System.Security.Cryptography;

namespace Registry.Api.Auth;

/// <summary>PBKDF2-SHA256 password hashes in the form <c>pbkdf2-sha256$iterations$salt$hash</c>.</summary>
public static class PasswordHasher
{
    private const int Iterations = 100_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], out var iterations)) return false;
        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>A random password (the first admin's, a robot's secret) that meets <see cref="MeetsPolicy"/>.</summary>
    public static string Generate(int bytes = 18)
    {
        while (true)
        {
            var candidate = Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)).Replace('+', 'x').Replace('/', 'y').TrimEnd('=');
            if (MeetsPolicy(candidate)) return candidate;
        }
    }

    /// <summary>Harbor's password policy: 8 to 128 characters with at least one upper-case letter, one lower-case letter and one digit.</summary>
    public static bool MeetsPolicy(string? password) =>
        password is { Length: >= 8 and <= 128 } && password.Any(char.IsAsciiLetterUpper) && password.Any(char.IsAsciiLetterLower) && password.Any(char.IsAsciiDigit);

    public const string PolicyMessage = "the password must be 8-128 characters with at least one upper-case letter, one lower-case letter and one digit";
}
