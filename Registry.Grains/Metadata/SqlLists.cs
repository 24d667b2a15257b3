using System.Data.Common;
using System.Globalization;

namespace Registry.Grains.Metadata;

/// <summary>The WHERE clause of one statement and its parameters, named <c>@q0</c>, <c>@q1</c>… as they are added.</summary>
internal sealed class SqlConditions
{
    private readonly List<string> _conditions = [];
    private readonly List<(string Name, object? Value)> _parameters = [];

    public IReadOnlyList<(string Name, object? Value)> Parameters => _parameters;

    /// <summary>Adds a parameter and returns its name, to be written into the SQL.</summary>
    public string Parameter(object? value)
    {
        var name = $"@q{_parameters.Count}";
        _parameters.Add((name, value));
        return name;
    }

    public SqlConditions Where(string condition)
    {
        _conditions.Add(condition);
        return this;
    }

    public string WhereClause => _conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", _conditions.Select(c => $"({c})"));
}

/// <summary>
/// Turns a <see cref="ListQuery"/> into SQL for one list: each filterable field maps to a condition
/// builder and each sortable field to a column expression, both fixed here, so that nothing a
/// caller sends reaches the SQL except as a parameter. Unknown fields, and filter kinds a field
/// does not take, are <see cref="ArgumentException"/>s.
/// </summary>
internal sealed class ListSpec
{
    /// <summary>Builds the condition for one filter, adding its parameters; throws <see cref="ArgumentException"/> for what it does not take.</summary>
    public delegate string FilterBuilder(ListFilter filter, SqlConditions sql, SqlSession session);

    private readonly IReadOnlyDictionary<string, FilterBuilder> _filters;
    private readonly IReadOnlyDictionary<string, string> _sorts;
    private readonly string _defaultOrder;
    private readonly string _tieBreaker;

    /// <param name="defaultOrder">ORDER BY without a sort, tie-breaker included.</param>
    /// <param name="tieBreaker">A unique column appended to a requested sort, in the same direction, so that pages never overlap.</param>
    public ListSpec(IReadOnlyDictionary<string, FilterBuilder> filters, IReadOnlyDictionary<string, string> sorts, string defaultOrder, string tieBreaker)
    {
        _filters = filters;
        _sorts = sorts;
        _defaultOrder = defaultOrder;
        _tieBreaker = tieBreaker;
    }

    public void AddFilters(ListQuery query, SqlConditions sql, SqlSession session)
    {
        foreach (var filter in query.Filters)
        {
            if (!_filters.TryGetValue(filter.Field, out var build))
                throw new ArgumentException($"unknown filter field '{filter.Field}'", nameof(query));
            sql.Where(build(filter, sql, session));
        }
    }

    public string OrderBy(ListQuery query)
    {
        if (query.Sort is null) return _defaultOrder;
        if (!_sorts.TryGetValue(query.Sort, out var column))
            throw new ArgumentException($"unknown sort field '{query.Sort}'", nameof(query));
        var direction = query.Descending ? "DESC" : "ASC";
        return $"{column} {direction}, {_tieBreaker} {direction}";
    }

    /// <summary>
    /// The total of rows matching and one page of them, in one snapshot: <paramref name="from"/> is
    /// the FROM clause (with joins), <paramref name="columns"/> the select list read by <paramref name="map"/>.
    /// </summary>
    public async Task<Page<T>> PageAsync<T>(DbConnection connection, DbTransaction? tx, SqlSession session, ListQuery query,
        string columns, string from, SqlConditions sql, Func<DbDataReader, T> map, CancellationToken cancellationToken)
    {
        if (query.Offset < 0) throw new ArgumentException("the offset must not be negative", nameof(query));
        if (query.Limit < 0) throw new ArgumentException("the limit must not be negative", nameof(query));
        AddFilters(query, sql, session);
        var orderBy = OrderBy(query);

        await using var count = SqlSession.Command(connection, tx, $"SELECT count(*) FROM {from}{sql.WhereClause}", sql.Parameters);
        var total = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken));
        if (query.Limit == 0 || query.Offset >= total) return new Page<T>([], total);

        var parameters = sql.Parameters.Append(("@limit", (object?)(long)query.Limit)).Append(("@offset", (long)query.Offset));
        var items = await SqlSession.QueryAsync(connection, tx,
            $"SELECT {columns} FROM {from}{sql.WhereClause} ORDER BY {orderBy} LIMIT @limit OFFSET @offset", map, cancellationToken, parameters);
        return new Page<T>(items, total);
    }

    // ---- filter builders for the usual kinds of field ----

    /// <summary>A text column: exact, fuzzy (case-insensitive contains, with <c>%</c> and <c>_</c> taken literally) or any of several values.</summary>
    public static FilterBuilder Text(string column) => (filter, sql, session) => filter.Kind switch
    {
        FilterKind.Exact => $"{column} = {sql.Parameter(Required(filter))}",
        FilterKind.Fuzzy => Contains(column, Required(filter), sql, session),
        FilterKind.In => AnyOf(column, filter, sql, v => v),
        _ => throw Unsupported(filter),
    };

    /// <summary>A column compared exactly, its values parsed by <paramref name="parse"/> (bad values are <see cref="ArgumentException"/>s).</summary>
    public static FilterBuilder Exact(string column, Func<string, object> parse) => (filter, sql, _) => filter.Kind switch
    {
        FilterKind.Exact => $"{column} = {sql.Parameter(parse(Required(filter)))}",
        FilterKind.In => AnyOf(column, filter, sql, parse),
        _ => throw Unsupported(filter),
    };

    /// <summary>A Unix-milliseconds column: a range with either end open, or one exact time.</summary>
    public static FilterBuilder Time(string column) => (filter, sql, _) =>
    {
        switch (filter.Kind)
        {
            case FilterKind.Range:
                var parts = new List<string>();
                if (filter.From is not null) parts.Add($"{column} >= {sql.Parameter(ParseLong(filter.From))}");
                if (filter.To is not null) parts.Add($"{column} <= {sql.Parameter(ParseLong(filter.To))}");
                return parts.Count == 0 ? "1 = 1" : string.Join(" AND ", parts);
            case FilterKind.Exact:
                return $"{column} = {sql.Parameter(ParseLong(Required(filter)))}";
            default:
                throw Unsupported(filter);
        }
    };

    public static string Contains(string column, string value, SqlConditions sql, SqlSession session) =>
        $"{column} {session.CaseInsensitiveLike} {sql.Parameter("%" + EscapeLike(value) + "%")} ESCAPE '\\'";

    public static string AnyOf(string column, ListFilter filter, SqlConditions sql, Func<string, object> parse)
    {
        var values = filter.Values ?? throw new ArgumentException($"filter '{filter.Field}' has no values");
        return values.Count == 0 ? "1 = 0" : $"{column} IN ({string.Join(", ", values.Select(v => sql.Parameter(parse(v))))})";
    }

    /// <summary>Escapes the LIKE wildcards (and the escape character itself) so that the value matches literally.</summary>
    public static string EscapeLike(string value) => value.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    public static string Required(ListFilter filter) =>
        filter.Value ?? throw new ArgumentException($"filter '{filter.Field}' has no value");

    public static ArgumentException Unsupported(ListFilter filter) =>
        new($"filter '{filter.Field}' does not take {filter.Kind}");

    public static object ParseLong(string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"'{value}' is not a number");

    public static object ParseBool(string value) => value switch
    {
        "true" => true,
        "false" => false,
        _ => throw new ArgumentException($"'{value}' is not true or false"),
    };
}
