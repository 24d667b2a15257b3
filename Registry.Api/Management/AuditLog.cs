using Registry.Grains.Metadata;

namespace Registry.Api.Management;

/// <summary>
/// Writes the audit log: every login and every change made through the APIs, with who, what,
/// when and whether it worked. A failure to write an entry is logged, never turned into a failure
/// of the operation it describes (that has already happened).
/// </summary>
public sealed class AuditLog(IIdentityStore store, TimeProvider clock, ILogger<AuditLog> logger)
{
    public async Task RecordAsync(string username, long? projectId, string resource, string resourceType, string operation, bool success = true)
    {
        try
        {
            await store.AppendAuditAsync(new AuditRecord(0, projectId, username, resource, resourceType, operation,
                success ? "success" : "failure", clock.GetUtcNow()));
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not write the audit entry {Operation} {ResourceType} {Resource} by {User}", operation, resourceType, resource, username);
        }
    }
}
