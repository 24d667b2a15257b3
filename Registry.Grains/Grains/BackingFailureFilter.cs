using Microsoft.Extensions.Logging;
using Registry.Grains.Abstractions;

namespace Registry.Grains.Grains;

/// <summary>
/// Every grain call: an outage of a backing service leaves the grain as a
/// <see cref="BackingServiceUnavailableException"/>, which crosses silos intact and which the API
/// answers with 503; any other driver exception becomes an <see cref="InvalidOperationException"/>.
/// The driver's own exception is logged here, where it happened.
/// </summary>
public sealed class BackingFailureFilter(ILogger<BackingFailureFilter> logger) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception e) when (BackingFailures.Translate(e) is { } translated)
        {
            logger.Log(translated is BackingServiceUnavailableException ? LogLevel.Warning : LogLevel.Error, e,
                "{Grain}.{Method} failed: {Reason}", context.TargetId, context.MethodName, translated.Message);
            throw translated;
        }
    }
}
