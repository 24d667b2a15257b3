namespace Registry.Api.Tests;

/// <summary>Harbor's paging, checked the same way on every list.</summary>
public static class PagingExpect
{
    /// <summary>
    /// <paramref name="list"/> (a path with its filter and sort) holds exactly the three items
    /// <paramref name="expected"/> (by <paramref name="field"/>), in that order: pages of two give
    /// two then one, both with <c>X-Total-Count: 3</c>, the first linking to the next page, the last
    /// to the previous one and to no next.
    /// </summary>
    public static async Task ThreeInPagesOfTwoAsync(HarborApi api, string list, string field, string[] expected)
    {
        Assert.Equal(3, expected.Length);
        var separator = list.Contains('?') ? "&" : "?";
        var first = await api.GetAsync($"{list}{separator}page=1&page_size=2");
        Assert.Equal(expected[..2], (await Expect.JsonAsync(first)).EnumerateArray().Select(e => e.GetProperty(field).GetString()));
        Assert.Equal("3", first.Header("X-Total-Count"));
        Assert.Contains("rel=\"next\"", first.Header("Link"));
        var last = await api.GetAsync($"{list}{separator}page=2&page_size=2");
        Assert.Equal(expected[2..], (await Expect.JsonAsync(last)).EnumerateArray().Select(e => e.GetProperty(field).GetString()));
        Assert.Equal("3", last.Header("X-Total-Count"));
        Assert.DoesNotContain("rel=\"next\"", last.Header("Link"));
        Assert.Contains("rel=\"prev\"", last.Header("Link"));
    }
}
