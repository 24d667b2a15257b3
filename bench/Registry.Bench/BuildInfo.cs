using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Registry.Bench;

/// <summary>Reads [AssemblyConfiguration] from a dll without loading it, so the report says Debug or Release truthfully.</summary>
public static class BuildInfo
{
    public static string Configuration(string dll)
    {
        try
        {
            using var pe = new PEReader(File.OpenRead(dll));
            var md = pe.GetMetadataReader();
            foreach (var handle in md.GetAssemblyDefinition().GetCustomAttributes())
            {
                var attribute = md.GetCustomAttribute(handle);
                if (attribute.Constructor.Kind == HandleKind.MemberReference
                    && md.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent is { Kind: HandleKind.TypeReference } parent
                    && md.GetString(md.GetTypeReference((TypeReferenceHandle)parent).Name) == "AssemblyConfigurationAttribute")
                {
                    var blob = md.GetBlobReader(attribute.Value);
                    blob.ReadUInt16(); // prolog
                    return blob.ReadSerializedString() ?? "?";
                }
            }
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or InvalidOperationException)
        {
            // fall through
        }
        return "unknown configuration";
    }
}
