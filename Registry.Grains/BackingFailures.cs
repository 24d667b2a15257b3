using Azure;
using Microsoft.Data.Sqlite;
using Npgsql;
using Registry.Grains.Abstractions;

namespace Registry.Grains;

/// <summary>Tells an outage of a backing service apart from a bug, from the exception a driver threw.</summary>
public static class BackingFailures
{
    /// <summary>The component that was out of reach, or null when the failure is not an outage.</summary>
    public static string? Classify(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case BackingServiceUnavailableException unavailable:
                    return unavailable.Component;
                // Client-side failures (connecting, reading, timeouts) and the server's transient
                // states: connection exceptions (08), shutdown/startup (57P), resources (53).
                case NpgsqlException and not PostgresException:
                case PostgresException { IsTransient: true }:
                case PostgresException p when p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("57P", StringComparison.Ordinal) || p.SqlState.StartsWith("53", StringComparison.Ordinal):
                case SqliteException { SqliteErrorCode: 5 or 6 }: // SQLITE_BUSY, SQLITE_LOCKED
                    return "metadata store";
                case RequestFailedException { Status: 0 or >= 500 }:
                    return "blob store";
                case AggregateException aggregate:
                    return aggregate.InnerExceptions.Select(Classify).FirstOrDefault(c => c is not null);
            }
        }

        return null;
    }

    /// <summary>
    /// The exception to throw across silos in place of <paramref name="e"/>: a
    /// <see cref="BackingServiceUnavailableException"/> for an outage, an
    /// <see cref="InvalidOperationException"/> for another driver failure (driver exception types
    /// cannot be deserialized by other silos), or null to let <paramref name="e"/> through.
    /// </summary>
    public static Exception? Translate(Exception e)
    {
        if (e is BackingServiceUnavailableException) return null;
        if (Classify(e) is { } component) return new BackingServiceUnavailableException(component, $"{component} unavailable: {e.GetBaseException().Message}");
        return IsDriverException(e) ? new InvalidOperationException($"{e.GetType().Name}: {e.Message}") : null;
    }

    /// <summary>Runs grain work outside a grain call (activation), translating failures as <see cref="Translate"/> does.</summary>
    public static async Task GuardAsync(Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Whether <paramref name="e"/> comes from a storage driver, whose exception types other silos cannot deserialize.</summary>
    public static bool IsDriverException(Exception e) =>
        e.GetType().Namespace is { } ns && (ns.StartsWith("Npgsql", StringComparison.Ordinal) || ns.StartsWith("Azure", StringComparison.Ordinal)
            || ns.StartsWith("Microsoft.Data.Sqlite", StringComparison.Ordinal));
}
