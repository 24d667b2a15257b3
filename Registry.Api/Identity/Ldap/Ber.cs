using System.Text;

namespace Registry.Api.Identity.Ldap;

/// <summary>
/// Writes the BER subset LDAPv3 uses (RFC 4511 section 5.1): definite lengths, one-byte tags,
/// primitive and constructed values. Constructed values are opened with <see cref="Begin"/> and
/// closed with <see cref="End"/>; their lengths are filled in on close.
/// </summary>
internal sealed class BerWriter
{
    public const byte Boolean = 0x01;
    public const byte Integer = 0x02;
    public const byte OctetString = 0x04;
    public const byte Enumerated = 0x0A;
    public const byte Sequence = 0x30;
    public const byte Set = 0x31;

    private readonly List<byte> _buffer = [];
    private readonly Stack<int> _open = new();

    /// <summary>Opens a constructed value; its content is everything written until the matching <see cref="End"/>.</summary>
    public BerWriter Begin(byte tag)
    {
        _buffer.Add(tag);
        _open.Push(_buffer.Count);
        return this;
    }

    public BerWriter End()
    {
        var start = _open.Pop();
        _buffer.InsertRange(start, Length(_buffer.Count - start));
        return this;
    }

    public BerWriter Bytes(byte tag, ReadOnlySpan<byte> value)
    {
        _buffer.Add(tag);
        _buffer.AddRange(Length(value.Length));
        foreach (var b in value) _buffer.Add(b);
        return this;
    }

    public BerWriter String(byte tag, string value) => Bytes(tag, Encoding.UTF8.GetBytes(value));

    public BerWriter String(string value) => String(OctetString, value);

    public BerWriter Int(long value, byte tag = Integer)
    {
        // Two's complement, big-endian, minimal length.
        Span<byte> bytes = stackalloc byte[8];
        var length = 8;
        for (var i = 7; i >= 0; i--)
        {
            bytes[i] = (byte)(value >> (8 * (7 - i)));
        }

        var start = 0;
        while (start < length - 1 &&
               ((bytes[start] == 0x00 && (bytes[start + 1] & 0x80) == 0) || (bytes[start] == 0xFF && (bytes[start + 1] & 0x80) != 0)))
        {
            start++;
        }

        return Bytes(tag, bytes[start..]);
    }

    public BerWriter Bool(bool value, byte tag = Boolean) => Bytes(tag, [value ? (byte)0xFF : (byte)0x00]);

    public byte[] ToArray()
    {
        if (_open.Count != 0) throw new InvalidOperationException("unclosed BER constructed value");
        return [.. _buffer];
    }

    private static byte[] Length(int length)
    {
        if (length < 0x80) return [(byte)length];
        var bytes = new List<byte>();
        for (var rest = length; rest > 0; rest >>= 8) bytes.Insert(0, (byte)rest);
        bytes.Insert(0, (byte)(0x80 | bytes.Count));
        return [.. bytes];
    }
}

/// <summary>A malformed or unexpected BER value from the server.</summary>
internal sealed class BerException(string message) : Exception(message);

/// <summary>Reads the BER values of one LDAP message, in order.</summary>
internal struct BerReader(ReadOnlyMemory<byte> data)
{
    private readonly ReadOnlyMemory<byte> _data = data;
    private int _position;

    public readonly bool HasMore => _position < _data.Length;

    public readonly byte PeekTag() => HasMore ? _data.Span[_position] : throw new BerException("unexpected end of BER data");

    /// <summary>Reads one value (tag, length, content) and returns its tag and content.</summary>
    public (byte Tag, ReadOnlyMemory<byte> Content) Read()
    {
        var span = _data.Span;
        var tag = PeekTag();
        if ((tag & 0x1F) == 0x1F) throw new BerException("multi-byte BER tags are not used by LDAP");
        var position = _position + 1;
        if (position >= span.Length) throw new BerException("truncated BER length");
        int length = span[position++];
        if (length >= 0x80)
        {
            var count = length & 0x7F;
            if (count is 0 or > 4) throw new BerException("unsupported BER length form");
            if (position + count > span.Length) throw new BerException("truncated BER length");
            length = 0;
            for (var i = 0; i < count; i++) length = checked((length << 8) | span[position++]);
            if (length < 0) throw new BerException("BER length out of range");
        }

        if (length > span.Length - position) throw new BerException("truncated BER value");
        _position = position + length;
        return (tag, _data.Slice(position, length));
    }

    /// <summary>Reads a value that must have <paramref name="tag"/>.</summary>
    public ReadOnlyMemory<byte> Read(byte tag)
    {
        var (actual, content) = Read();
        if (actual != tag) throw new BerException($"expected BER tag 0x{tag:X2}, got 0x{actual:X2}");
        return content;
    }

    /// <summary>A reader over the content of the next value, which must have <paramref name="tag"/>.</summary>
    public BerReader Enter(byte tag) => new(Read(tag));

    public long ReadInt(byte tag = BerWriter.Integer) => ToInt(Read(tag).Span);

    public string ReadString(byte tag = BerWriter.OctetString) => Encoding.UTF8.GetString(Read(tag).Span);

    public static long ToInt(ReadOnlySpan<byte> content)
    {
        if (content.Length is 0 or > 8) throw new BerException("BER integer out of range");
        long value = (sbyte)content[0];
        for (var i = 1; i < content.Length; i++) value = (value << 8) | content[i];
        return value;
    }
}
