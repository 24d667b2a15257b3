using System.Text.RegularExpressions;

namespace Registry.Api.Tests;

/// <summary>Tags list and catalog: lexically sorted, paginated with <c>n</c>/<c>last</c> and a <c>Link</c> to the next page.</summary>
public sealed partial class ListingTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private static readonly string[] Tags = ["v2", "1.0", "latest", "Latest", "alpha", "beta", "v10"];
    private static readonly string[] Sorted = [.. Tags.Order(StringComparer.Ordinal)];
    private OciClient Admin => registry.Admin;

    [GeneratedRegex("^<(?<url>/v2/[^>]+)>; rel=\"next\"$")]
    private static partial Regex NextLink();

    [Fact]
    public async Task TagsAreListedInLexicalOrder()
    {
        var repo = await PushTagsAsync("sorted");
        var list = await Expect.JsonAsync(await Admin.GetAsync($"/v2/{repo}/tags/list"));
        Assert.Equal(repo, list.GetProperty("name").GetString());
        Assert.Equal(Sorted, list.Strings("tags"));
    }

    [Fact]
    public async Task TagsArePagedWithNAndLastFollowingTheLinkHeader()
    {
        var repo = await PushTagsAsync("paged");
        var response = await Admin.GetAsync($"/v2/{repo}/tags/list?n=3");
        var page = await Expect.JsonAsync(response);
        Assert.Equal(Sorted[..3], page.Strings("tags"));
        Assert.Equal($"</v2/{repo}/tags/list?n=3&last={Uri.EscapeDataString(Sorted[2])}>; rel=\"next\"", response.Header("Link"));

        var seen = new List<string>(page.Strings("tags"));
        var pages = 1;
        while (response.Header("Link") is { } link)
        {
            var match = NextLink().Match(link);
            Assert.True(match.Success, $"not a next link: {link}");
            response = await Admin.GetAsync(match.Groups["url"].Value);
            var tags = (await Expect.JsonAsync(response)).Strings("tags");
            Assert.InRange(tags.Count, 1, 3);
            seen.AddRange(tags);
            Assert.True(++pages <= 3, "more pages than tags allow");
        }
        Assert.Equal(Sorted, seen);
    }

    [Fact]
    public async Task TagsAfterLastStartAfterThatTag()
    {
        var repo = await PushTagsAsync("last");
        var list = await Expect.JsonAsync(await Admin.GetAsync($"/v2/{repo}/tags/list?last=alpha"));
        Assert.Equal(Sorted.Where(t => string.CompareOrdinal(t, "alpha") > 0), list.Strings("tags"));
        var limited = await Admin.GetAsync($"/v2/{repo}/tags/list?n=1&last=alpha");
        Assert.Equal(["beta"], (await Expect.JsonAsync(limited)).Strings("tags"));
        Assert.NotNull(limited.Header("Link"));
    }

    [Fact]
    public async Task TheLastPageHasNoLinkHeader()
    {
        var repo = await PushTagsAsync("lastpage");
        var response = await Admin.GetAsync($"/v2/{repo}/tags/list?n={Tags.Length}");
        Assert.Equal(Sorted, (await Expect.JsonAsync(response)).Strings("tags"));
        Assert.Null(response.Header("Link"));
    }

    [Fact]
    public async Task TagsWithNZeroIsAnEmptyList()
    {
        var repo = await PushTagsAsync("zero");
        var response = await Admin.GetAsync($"/v2/{repo}/tags/list?n=0");
        Assert.Empty((await Expect.JsonAsync(response)).Strings("tags"));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    public async Task AnInvalidNReturnsPaginationNumberInvalid(string n)
    {
        var repo = await PushTagsAsync("invalid-n");
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/{repo}/tags/list?n={n}"), HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
        await Expect.ErrorAsync(await Admin.GetAsync($"/v2/_catalog?n={n}"), HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
    }

    [Fact]
    public async Task AHugeNIsClampedAndReturnsEveryTag()
    {
        var repo = await PushTagsAsync("huge");
        var response = await Admin.GetAsync($"/v2/{repo}/tags/list?n={int.MaxValue}");
        Assert.Equal(Sorted, (await Expect.JsonAsync(response)).Strings("tags"));
        Assert.Null(response.Header("Link"));
        var catalog = await Admin.GetAsync($"/v2/_catalog?n={int.MaxValue}");
        Assert.Contains(repo, (await Expect.JsonAsync(catalog)).Strings("repositories"));
    }

    [Fact]
    public async Task AHugeNIsClampedToOneThousandTagsWithALinkToTheRest()
    {
        const string repo = "library/thousand";
        var image = await Admin.PushImageAsync(repo, "t0000");
        var tags = Enumerable.Range(0, 1001).Select(i => $"t{i:D4}").ToList();
        foreach (var batch in tags.Skip(1).Chunk(50))
        {
            await Task.WhenAll(batch.Select(tag => Admin.PushManifestAsync(repo, tag, image.Body, Oci.OciManifest)));
        }

        var response = await Admin.GetAsync($"/v2/{repo}/tags/list?n={int.MaxValue}");
        Assert.Equal(tags[..1000], (await Expect.JsonAsync(response)).Strings("tags"));
        Assert.Equal($"</v2/{repo}/tags/list?n={int.MaxValue}&last=t0999>; rel=\"next\"", response.Header("Link"));
        var rest = await Admin.GetAsync(NextLink().Match(response.Header("Link")!).Groups["url"].Value);
        Assert.Equal(["t1000"], (await Expect.JsonAsync(rest)).Strings("tags"));
        Assert.Null(rest.Header("Link"));

        Assert.Equal(tags, (await Expect.JsonAsync(await Admin.GetAsync($"/v2/{repo}/tags/list"))).Strings("tags"));
    }

    [Fact]
    public async Task TagsOfAnUnknownRepositoryReturnNameUnknown()
    {
        await Expect.ErrorAsync(await Admin.GetAsync("/v2/library/never-pushed/tags/list"), HttpStatusCode.NotFound, "NAME_UNKNOWN");
    }

    [Fact]
    public async Task TheCatalogListsRepositoriesSortedAndPaged()
    {
        var repos = new[] { await PushTagsAsync("cat-b"), await PushTagsAsync("cat-a"), await PushTagsAsync("cat-c") };
        var all = (await Expect.JsonAsync(await Admin.GetAsync("/v2/_catalog?n=1000"))).Strings("repositories");
        Assert.Equal(all.Order(StringComparer.Ordinal), all);
        Assert.Subset(all.ToHashSet(), repos.ToHashSet());

        var seen = new List<string>();
        var url = "/v2/_catalog?n=2";
        while (url is not null)
        {
            var response = await Admin.GetAsync(url);
            var page = (await Expect.JsonAsync(response)).Strings("repositories");
            Assert.InRange(page.Count, 1, 2);
            seen.AddRange(page);
            url = response.Header("Link") is { } link ? NextLink().Match(link).Groups["url"].Value : null;
            if (url is not null) Assert.StartsWith($"/v2/_catalog?n=2&last=", url);
            Assert.True(seen.Count <= all.Count, "the catalog pages never end");
        }
        Assert.Equal(all, seen);
    }

    [Fact]
    public async Task TheCatalogWithNZeroIsAnEmptyList()
    {
        await PushTagsAsync("cat-zero");
        Assert.Empty((await Expect.JsonAsync(await Admin.GetAsync("/v2/_catalog?n=0"))).Strings("repositories"));
    }

    [Fact]
    public async Task TheCatalogRequiresAuthentication()
    {
        var response = await registry.Anonymous.GetAsync("/v2/_catalog");
        await Expect.ErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.StartsWith("Bearer ", response.Header("WWW-Authenticate"));
    }

    [Fact]
    public async Task TheCatalogIsReadableWithAnAdminCatalogTokenButNotAnAnonymousOne()
    {
        var repo = await PushTagsAsync("cat-token");
        const string url = "/service/token?service=registry&scope=registry:catalog:*";
        var adminToken = (await Expect.JsonAsync(await Admin.GetAsync(url))).GetProperty("token").GetString()!;
        var listed = await registry.WithBearer(adminToken).GetAsync("/v2/_catalog?n=1000");
        Assert.Contains(repo, (await Expect.JsonAsync(listed)).Strings("repositories"));

        var anonymousToken = (await Expect.JsonAsync(await registry.Anonymous.GetAsync(url))).GetProperty("token").GetString()!;
        await Expect.ErrorAsync(await registry.WithBearer(anonymousToken).GetAsync("/v2/_catalog"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    /// <summary>Pushes one image under every tag of <see cref="Tags"/> into a fresh repository.</summary>
    private async Task<string> PushTagsAsync(string name)
    {
        var repo = $"library/{name}-{Guid.NewGuid():N}"[..40];
        var image = await Admin.PushImageAsync(repo, Tags[0]);
        foreach (var tag in Tags.Skip(1)) await Admin.PushManifestAsync(repo, tag, image.Body, Oci.OciManifest);
        return repo;
    }
}
