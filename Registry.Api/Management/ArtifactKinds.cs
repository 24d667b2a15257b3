using Registry.Grains.Manifests;

namespace Registry.Api.Management;

/// <summary>
/// Harbor's artifact <c>type</c> and accessory <c>type</c>, derived from a manifest's media type,
/// its <c>artifactType</c>, its config's media type and its layers' media types.
/// </summary>
public static class ArtifactKinds
{
    public const string Image = "IMAGE";
    public const string Chart = "CHART";
    public const string Cnab = "CNAB";
    public const string Wasm = "WASM";
    public const string Signature = "SIGNATURE";
    public const string Sbom = "SBOM";
    public const string Unknown = "UNKNOWN";

    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string HelmConfig = "application/vnd.cncf.helm.config.v1+json";
    public const string CnabConfig = "application/vnd.cnab.config.v1+json";
    public const string WasmConfig = "application/vnd.wasm.config.v1+json";
    public const string CosignSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json";
    public const string CosignSignature = "application/vnd.dev.cosign.artifact.sig.v1+json";
    public const string NotationSignature = "application/vnd.cncf.notary.signature";
    public const string HarborSbom = "application/vnd.goharbor.harbor.sbom.v1";
    public const string InToto = "application/vnd.in-toto+json";
    public const string DsseEnvelope = "application/vnd.dsse.envelope.v1+json";

    /// <summary>The annotation of a CNAB bundle's index.</summary>
    public const string CnabRuntimeAnnotation = "io.cnab.runtime_version";

    /// <summary>Accessory types, as Harbor names them.</summary>
    public const string CosignAccessory = "signature.cosign";
    public const string NotationAccessory = "signature.notation";
    public const string HarborSbomAccessory = "harbor.sbom";
    public const string SbomAccessory = "sbom";
    public const string AttestationAccessory = "build.attestation";
    public const string GenericAccessory = "subject.accessory";

    public static string TypeOf(string manifestMediaType, string? artifactType, string? configMediaType,
        IReadOnlyList<string> layerMediaTypes, IReadOnlyDictionary<string, string>? annotations)
    {
        if (MediaTypes.IsIndex(manifestMediaType))
            return annotations?.ContainsKey(CnabRuntimeAnnotation) == true ? Cnab : Image;
        if (IsSignature(artifactType) || IsSignature(configMediaType) || layerMediaTypes.Any(IsSignature)) return Signature;
        if (IsSbom(artifactType) || IsSbom(configMediaType) || layerMediaTypes.Any(IsSbom)) return Sbom;
        return (artifactType ?? configMediaType) switch
        {
            OciConfig or DockerConfig => Image,
            HelmConfig => Chart,
            CnabConfig => Cnab,
            WasmConfig => Wasm,
            _ => Unknown,
        };
    }

    /// <summary>The accessory type of a manifest that refers to another.</summary>
    public static string AccessoryTypeOf(string? artifactType, string? configMediaType, IReadOnlyList<string> layerMediaTypes)
    {
        IEnumerable<string?> all = [artifactType, configMediaType, .. layerMediaTypes];
        var types = all.OfType<string>().ToList();
        if (types.Any(t => t is CosignSimpleSigning or CosignSignature)) return CosignAccessory;
        if (types.Any(t => t == NotationSignature)) return NotationAccessory;
        if (types.Any(t => t == HarborSbom)) return HarborSbomAccessory;
        if (types.Any(IsSbom)) return SbomAccessory;
        if (types.Any(IsAttestation)) return AttestationAccessory;
        return GenericAccessory;
    }

    /// <summary>The accessory type named by cosign's tag convention <c>sha256-&lt;hex&gt;.sig|.att|.sbom</c>.</summary>
    public static string CosignTagAccessory(string suffix) => suffix switch
    {
        "sig" => CosignAccessory,
        "att" => AttestationAccessory,
        _ => SbomAccessory,
    };

    public static readonly IReadOnlyList<string> CosignTagSuffixes = ["sig", "att", "sbom"];

    private static bool IsSignature(string? type) => type is CosignSimpleSigning or CosignSignature or NotationSignature;

    private static bool IsSbom(string? type) =>
        type is not null && (type == HarborSbom || type.Contains("spdx", StringComparison.OrdinalIgnoreCase) || type.Contains("cyclonedx", StringComparison.OrdinalIgnoreCase));

    private static bool IsAttestation(string? type) =>
        type is InToto or DsseEnvelope || (type?.Contains("attestation", StringComparison.OrdinalIgnoreCase) ?? false);
}
