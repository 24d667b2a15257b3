using System.Text;
using Registry.Grains.Abstractions;
using Registry.Grains.Manifests;

namespace Registry.Grains.Tests;

public sealed class ParsingTests
{
    private const string Sha = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Theory]
    [InlineData(Sha, true)]
    [InlineData("sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e", true)]
    [InlineData("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", false)]
    [InlineData("sha256:e3b0", false)]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e", false)]
    [InlineData("sha256:../../../../etc/passwd00000000000000000000000000000000000000", false)]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false)]
    [InlineData("", false)]
    public void DigestsParseOnlyWhenAlgorithmAndHexAreValid(string value, bool valid)
    {
        Assert.Equal(valid, Digest.TryParse(value, out var digest));
        if (valid) Assert.Equal(value, digest.ToString());
    }

    [Fact]
    public void ComputedDigestOfNothingIsTheWellKnownEmptyDigest() => Assert.Equal(Sha, Digest.Compute([]).ToString());

    [Theory]
    [InlineData("library/ubuntu", true)]
    [InlineData("library/a/b/c", true)]
    [InlineData("library/a.b_c__d-e--f", true)]
    [InlineData("ubuntu", false)]
    [InlineData("library/UPPER", false)]
    [InlineData("library//x", false)]
    [InlineData("library/a..b", false)]
    [InlineData("library/-a", false)]
    [InlineData("library/a/", false)]
    [InlineData("../library/a", false)]
    public void RepositoryNamesFollowTheSpecAndNeedAProject(string name, bool valid) => Assert.Equal(valid, RepositoryName.IsValid(name));

    [Theory]
    [InlineData("latest", true)]
    [InlineData("v1.0_rc-2", true)]
    [InlineData("_x", true)]
    [InlineData("-bad", false)]
    [InlineData(".bad", false)]
    [InlineData("a/b", false)]
    [InlineData("", false)]
    public void TagsFollowTheSpec(string tag, bool valid) => Assert.Equal(valid, RepositoryName.IsValidTag(tag));

    [Fact]
    public void ATagOf128CharactersIsValidAnd129IsNot()
    {
        Assert.True(RepositoryName.IsValidTag(new string('a', 128)));
        Assert.False(RepositoryName.IsValidTag(new string('a', 129)));
    }

    private static ParsedManifest? Parse(string json, string? contentType, out OciErrorCode? error)
    {
        var parsed = ManifestParser.Parse(Encoding.UTF8.GetBytes(json), contentType, out var detail);
        error = parsed is null ? OciErrorCode.ManifestInvalid : null;
        Assert.Equal(parsed is null, detail is not null);
        return parsed;
    }

    [Fact]
    public void AnImageManifestNamesItsConfigAndLayersAsRequiredAndForeignLayersAsOptional()
    {
        var layer = Digest.Compute([1]);
        var foreign = Digest.Compute([2]);
        var json = $$$"""
            {"schemaVersion":2,"mediaType":"{{{MediaTypes.DockerManifest}}}",
             "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{{{Sha}}}","size":0},
             "layers":[{"mediaType":"x","digest":"{{{layer}}}","size":1},
                       {"mediaType":"y","digest":"{{{foreign}}}","size":1,"urls":["https://example.invalid/l"]}]}
            """;
        var parsed = Parse(json, MediaTypes.DockerManifest, out var error);
        Assert.Null(error);
        Assert.Equal([Digest.Parse(Sha), layer], parsed!.RequiredBlobs);
        Assert.Equal([foreign], parsed.OptionalBlobs);
    }

    [Fact]
    public void AnArtifactWithASubjectTakesItsArtifactTypeOrElseItsConfigMediaType()
    {
        var json = $$$"""
            {"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}",
             "config":{"mediaType":"application/vnd.example.sbom","digest":"{{{Sha}}}","size":0},"layers":[],
             "subject":{"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"{{{Sha}}}","size":2},
             "annotations":{"org.example":"yes"}}
            """;
        var parsed = Parse(json, null, out var error);
        Assert.Null(error);
        Assert.Equal("application/vnd.example.sbom", parsed!.ArtifactType);
        Assert.Equal(Digest.Parse(Sha), parsed.Subject);
        Assert.Equal("yes", parsed.Annotations!["org.example"]);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"schemaVersion\":1,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}")]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}")]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"digest\":\"sha256:nope\",\"size\":1}]}")]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"digest\":\"" + Sha + "\",\"size\":-1}]}")]
    public void MalformedManifestsAreInvalid(string json)
    {
        Parse(json, null, out var error);
        Assert.Equal(OciErrorCode.ManifestInvalid, error);
    }

    [Fact]
    public void AContentTypeThatContradictsTheBodyIsInvalid()
    {
        Parse($"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciIndex}\",\"manifests\":[]}}", MediaTypes.DockerManifestList, out var error);
        Assert.Equal(OciErrorCode.ManifestInvalid, error);
    }
}
