using System.Text;

namespace Registry.Api.Identity.Ldap;

/// <summary>
/// LDAP search filters in their string form (RFC 4515): escaping values, and parsing a filter
/// string into the BER a SearchRequest carries (RFC 4511 section 4.5.1.7).
/// </summary>
public static class LdapFilter
{
    private const byte And = 0xA0, Or = 0xA1, Not = 0xA2, EqualityMatch = 0xA3, Substrings = 0xA4,
        GreaterOrEqual = 0xA5, LessOrEqual = 0xA6, Present = 0x87, ApproxMatch = 0xA8, ExtensibleMatch = 0xA9;

    /// <summary>
    /// Escapes a value for use inside a filter string (RFC 4515 section 3): <c>*</c>, <c>(</c>,
    /// <c>)</c>, <c>\</c> and NUL become <c>\2a</c>, <c>\28</c>, <c>\29</c>, <c>\5c</c> and <c>\00</c>,
    /// so the value only ever matches itself.
    /// </summary>
    public static string Escape(string value)
    {
        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            switch (c)
            {
                case '*': builder.Append(@"\2a"); break;
                case '(': builder.Append(@"\28"); break;
                case ')': builder.Append(@"\29"); break;
                case '\\': builder.Append(@"\5c"); break;
                case '\0': builder.Append(@"\00"); break;
                default: builder.Append(c); break;
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// The configured filter with its outer parentheses (added when missing), or null when it is
    /// empty. Throws <see cref="FormatException"/> when it is not a valid filter.
    /// </summary>
    public static string? Normalize(string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter)) return null;
        var trimmed = filter.Trim();
        if (!trimmed.StartsWith('(')) trimmed = "(" + trimmed + ")";
        Encode(trimmed); // validates
        return trimmed;
    }

    /// <summary>Whether <paramref name="name"/> is an attribute description (a name or numeric OID, with options).</summary>
    public static bool IsAttributeDescription(string name)
    {
        if (string.IsNullOrEmpty(name)) return false;
        var parts = name.Split(';');
        if (!IsAttributeType(parts[0])) return false;
        return parts.Skip(1).All(option => option.Length > 0 && option.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
    }

    /// <summary>The BER encoding of <paramref name="filter"/>; <see cref="FormatException"/> when it is not a valid filter.</summary>
    public static byte[] Encode(string filter)
    {
        var writer = new BerWriter();
        Write(writer, filter);
        return writer.ToArray();
    }

    internal static void Write(BerWriter writer, string filter)
    {
        var position = 0;
        ParseFilter(filter, ref position, writer);
        SkipSpaces(filter, ref position);
        if (position != filter.Length) throw Invalid("unexpected text after the filter", position);
    }

    private static void ParseFilter(string text, ref int position, BerWriter writer)
    {
        SkipSpaces(text, ref position);
        Expect(text, ref position, '(');
        SkipSpaces(text, ref position);
        if (position >= text.Length) throw Invalid("unterminated filter", position);
        switch (text[position])
        {
            case '&':
            case '|':
                writer.Begin(text[position] == '&' ? And : Or);
                position++;
                SkipSpaces(text, ref position);
                while (position < text.Length && text[position] == '(')
                {
                    ParseFilter(text, ref position, writer);
                    SkipSpaces(text, ref position);
                }

                writer.End();
                break;
            case '!':
                position++;
                writer.Begin(Not);
                ParseFilter(text, ref position, writer);
                writer.End();
                SkipSpaces(text, ref position);
                break;
            default:
                var end = text.IndexOf(')', position);
                if (end < 0) throw Invalid("unterminated filter", position);
                ParseItem(text[position..end], position, writer);
                position = end;
                break;
        }

        Expect(text, ref position, ')');
    }

    private static void ParseItem(string item, int at, BerWriter writer)
    {
        if (item.Contains('(')) throw Invalid("unescaped '(' in a value", at);
        var equals = item.IndexOf('=');
        if (equals <= 0) throw Invalid("a filter item needs an attribute and '='", at);
        var left = item[..equals];
        var value = item[(equals + 1)..];
        switch (left[^1])
        {
            case '~':
                Assertion(ApproxMatch, left[..^1], value, at, writer);
                return;
            case '>':
                Assertion(GreaterOrEqual, left[..^1], value, at, writer);
                return;
            case '<':
                Assertion(LessOrEqual, left[..^1], value, at, writer);
                return;
            case ':':
                Extensible(left[..^1], value, at, writer);
                return;
        }

        RequireAttribute(left, at);
        if (value == "*")
        {
            writer.String(Present, left);
            return;
        }

        if (!value.Contains('*'))
        {
            writer.Begin(EqualityMatch).String(left).Bytes(BerWriter.OctetString, Unescape(value, at)).End();
            return;
        }

        var pieces = value.Split('*');
        writer.Begin(Substrings).String(left).Begin(BerWriter.Sequence);
        for (var i = 0; i < pieces.Length; i++)
        {
            if (pieces[i].Length == 0) continue;
            var tag = i == 0 ? (byte)0x80 : i == pieces.Length - 1 ? (byte)0x82 : (byte)0x81;
            writer.Bytes(tag, Unescape(pieces[i], at));
        }

        writer.End().End();
    }

    private static void Assertion(byte tag, string attribute, string value, int at, BerWriter writer)
    {
        RequireAttribute(attribute, at);
        if (value.Contains('*')) throw Invalid("unescaped '*' in a value", at);
        writer.Begin(tag).String(attribute).Bytes(BerWriter.OctetString, Unescape(value, at)).End();
    }

    // attr [":dn"] [":" rule] ":=" value, or [":dn"] ":" rule ":=" value (RFC 4515 section 3).
    private static void Extensible(string left, string value, int at, BerWriter writer)
    {
        if (value.Contains('*')) throw Invalid("unescaped '*' in a value", at);
        var parts = left.Split(':');
        var attribute = parts[0];
        var index = 1;
        var dnAttributes = false;
        if (index < parts.Length && parts[index].Equals("dn", StringComparison.OrdinalIgnoreCase))
        {
            dnAttributes = true;
            index++;
        }

        string? rule = null;
        if (index < parts.Length)
        {
            rule = parts[index++];
            if (!IsAttributeType(rule)) throw Invalid("invalid matching rule", at);
        }

        if (index != parts.Length) throw Invalid("invalid extensible match", at);
        if (attribute.Length == 0 && rule is null) throw Invalid("an extensible match needs an attribute or a matching rule", at);
        if (attribute.Length > 0) RequireAttribute(attribute, at);

        writer.Begin(ExtensibleMatch);
        if (rule is not null) writer.String(0x81, rule);
        if (attribute.Length > 0) writer.String(0x82, attribute);
        writer.Bytes(0x83, Unescape(value, at));
        if (dnAttributes) writer.Bool(true, 0x84);
        writer.End();
    }

    private static byte[] Unescape(string value, int at)
    {
        var bytes = new List<byte>(value.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\')
            {
                if (i + 2 >= value.Length || !IsHex(value[i + 1]) || !IsHex(value[i + 2]))
                {
                    throw Invalid(@"'\' must be followed by two hex digits", at);
                }

                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
                continue;
            }

            if (c is '\0' or '(' or ')') throw Invalid("unescaped special character in a value", at);
            int length;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                length = Encoding.UTF8.GetBytes(value.AsSpan(i, 2), utf8);
                i++;
            }
            else
            {
                length = Encoding.UTF8.GetBytes(value.AsSpan(i, 1), utf8);
            }

            for (var j = 0; j < length; j++) bytes.Add(utf8[j]);
        }

        return [.. bytes];
    }

    private static void RequireAttribute(string attribute, int at)
    {
        if (!IsAttributeDescription(attribute)) throw Invalid($"invalid attribute description '{attribute}'", at);
    }

    private static bool IsAttributeType(string name)
    {
        if (name.Length == 0) return false;
        if (char.IsAsciiLetter(name[0])) return name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
        // numericoid = number 1*( "." number )
        var numbers = name.Split('.');
        return numbers.Length >= 2 && numbers.All(n => n.Length > 0 && n.All(char.IsAsciiDigit) && (n.Length == 1 || n[0] != '0'));
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static void SkipSpaces(string text, ref int position)
    {
        while (position < text.Length && text[position] == ' ') position++;
    }

    private static void Expect(string text, ref int position, char c)
    {
        if (position >= text.Length || text[position] != c) throw Invalid($"expected '{c}'", position);
        position++;
    }

    private static FormatException Invalid(string reason, int position) =>
        new($"invalid LDAP filter: {reason} (at offset {position})");
}
