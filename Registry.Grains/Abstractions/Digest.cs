using System.Security.Cryptography;

namespace Registry.Grains.Abstractions;

/// <summary>
/// A content digest (<c>algorithm:hex</c>). Parsed once at the edge so nothing inside ever sees an
/// unvalidated digest, which keeps hostile strings out of storage paths and SQL.
/// </summary>
[GenerateSerializer, Immutable, Alias("Registry.Digest")]
public readonly record struct Digest
{
    public const string Sha256 = "sha256";
    public const string Sha512 = "sha512";

    [Id(0)] public string Algorithm { get; }
    [Id(1)] public string Hex { get; }

    private Digest(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    public override string ToString() => Algorithm is null ? "" : $"{Algorithm}:{Hex}";

    public static Digest Parse(string value) =>
        TryParse(value, out var digest) ? digest : throw new FormatException($"invalid digest '{value}'");

    /// <summary>Accepts the algorithms we can verify (sha256, sha512) with lowercase hex of the right length.</summary>
    public static bool TryParse(string? value, out Digest digest)
    {
        digest = default;
        if (string.IsNullOrEmpty(value) || value.Length > 200) return false;
        var colon = value.IndexOf(':');
        if (colon <= 0) return false;
        var algorithm = value[..colon];
        var hex = value[(colon + 1)..];
        var expected = algorithm switch { Sha256 => 64, Sha512 => 128, _ => -1 };
        if (hex.Length != expected || !IsLowerHex(hex)) return false;
        digest = new Digest(algorithm, hex);
        return true;
    }

    /// <summary>True when <paramref name="value"/> has the general digest shape, even with an algorithm we do not support.</summary>
    public static bool LooksLikeDigest(string value) => value.Contains(':');

    public static Digest Compute(ReadOnlySpan<byte> content, string algorithm = Sha256)
    {
        var hex = algorithm switch
        {
            Sha512 => Convert.ToHexStringLower(SHA512.HashData(content)),
            _ => Convert.ToHexStringLower(SHA256.HashData(content)),
        };
        return new Digest(algorithm == Sha512 ? Sha512 : Sha256, hex);
    }

    public static Digest FromHash(string algorithm, byte[] hash) => new(algorithm, Convert.ToHexStringLower(hash));

    public HashAlgorithmName HashAlgorithm => Algorithm == Sha512 ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;

    private static bool IsLowerHex(string s)
    {
        foreach (var c in s)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f'))) return false;
        }
        return true;
    }
}
