using System.Globalization;
using Microsoft.Extensions.Options;
using Registry.Api.Hosting;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;

namespace Registry.Api.Webhooks;

/// <summary>
/// Delivers webhooks from the outbox, at least once and in order per policy. Every node runs it:
/// new events become jobs (one per matching enabled policy and target) in the transaction that
/// moves the shared cursor, so each event is enqueued once; each policy's oldest unfinished job is
/// claimed under a lease, sent, and marked Success, Error (after <see cref="WebhookOptions.MaxAttempts"/>
/// or an answer that retrying will not change) or Pending again with an exponential backoff. A
/// policy's later events wait while its head job is retried, which is what keeps them in order.
/// </summary>
public sealed class WebhookDispatcher(
    IWebhookStore store, IOutbox outbox, IIdentityStore identity, WebhookSender sender, TimeProvider clock,
    IOptions<WebhookOptions> options, ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string Reader = "webhooks";
    private const int Batch = 200;
    private readonly SemaphoreSlim _running = new(1, 1);

    /// <summary>Enqueues new events and delivers every job that is due; returns the deliveries attempted. Tests call it directly.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        await _running.WaitAsync(cancellationToken);
        try
        {
            await EnqueueAsync(cancellationToken);
            var attempted = 0;
            while (true)
            {
                var now = clock.GetUtcNow();
                var claimed = await store.ClaimAsync(now, now.AddSeconds(options.Value.LeaseSeconds), 32, cancellationToken);
                if (claimed.Count == 0) return attempted;
                await Task.WhenAll(claimed.Select(job => DeliverAsync(job, cancellationToken)));
                attempted += claimed.Count;
            }
        }
        finally
        {
            _running.Release();
        }
    }

    /// <summary>Turns outbox events after the cursor into jobs, a batch at a time.</summary>
    private async Task EnqueueAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<WebhookPolicyRecord>? policies = null;
        while (true)
        {
            var cursor = await store.CursorAsync(Reader, cancellationToken);
            var events = await outbox.ReadAsync(cursor, Batch, cancellationToken);
            if (events.Count == 0) return;
            policies ??= await store.EnabledPoliciesAsync(cancellationToken);
            var now = clock.GetUtcNow();
            var jobs = new List<WebhookJobRecord>();
            foreach (var entry in events)
            {
                var e = entry.Event;
                foreach (var policy in policies.Where(p => p.ProjectId == e.ProjectId && p.EventTypes.Contains(e.Type)))
                {
                    for (var i = 0; i < policy.Targets.Count; i++)
                    {
                        jobs.Add(new WebhookJobRecord(0, policy.Id, policy.ProjectId, entry.Id, e.Type, i, policy.Targets[i].Type, e.ToJson(),
                            WebhookJobStatus.Pending, 0, now, null, "", "", now, now));
                    }
                }
            }
            if (!await store.EnqueueAsync(Reader, cursor, events[^1].Id, jobs, cancellationToken))
                logger.LogDebug("Another node enqueued outbox events after {Cursor} first", cursor);
        }
    }

    private async Task DeliverAsync(WebhookJobRecord job, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var started = clock.GetUtcNow();
        string Line(string what) => $"{started.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)} attempt {job.Attempts}: {what}";
        try
        {
            var policy = await store.GetPolicyAsync(job.ProjectId, job.PolicyId, cancellationToken);
            if (policy is null) return; // deleted with its jobs
            if (!policy.Enabled || job.TargetIndex >= policy.Targets.Count)
            {
                var why = policy.Enabled ? "the target was removed from the policy" : "the policy was disabled";
                await store.CompleteAsync(job.Id, WebhookJobStatus.Stopped, null, why, Line(why), started, clock.GetUtcNow(), cancellationToken);
                return;
            }
            var target = policy.Targets[job.TargetIndex];
            var project = await identity.GetProjectByIdAsync(job.ProjectId, cancellationToken);
            var host = string.IsNullOrEmpty(settings.RegistryHost) ? Environment.MachineName.ToLowerInvariant() : settings.RegistryHost;
            var (body, contentType) = WebhookPayloads.Build(RegistryEvent.FromJson(job.Payload), job.EventId, policy, target, host, project?.Public ?? false);
            var where = Redact(target.Address);

            int? code = null;
            string message;
            bool retry;
            try
            {
                code = await sender.SendAsync(target.Address, target.AuthHeader, target.SkipCertVerify, body, contentType, cancellationToken);
                if (code is >= 200 and < 300)
                {
                    await store.CompleteAsync(job.Id, WebhookJobStatus.Success, code, "", Line($"POST {where} -> {code}"), started, clock.GetUtcNow(), cancellationToken);
                    return;
                }
                message = $"the target answered {code}";
                retry = code is >= 500 or 408 or 429;
            }
            catch (Exception e) when (Refusal(e) is { } refused)
            {
                message = refused.Message;
                retry = !refused.Blocked; // a name that does not resolve may resolve later; a blocked address will not be allowed by waiting
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
            {
                message = e is TaskCanceledException ? "timed out" : e.Message;
                retry = true;
            }

            var final = !retry || job.Attempts >= settings.MaxAttempts;
            var delay = TimeSpan.FromSeconds(Math.Min(3600, settings.BackoffSeconds * Math.Pow(2, job.Attempts - 1)));
            var next = final ? started : clock.GetUtcNow() + delay;
            var line = Line($"POST {where} failed: {message}" + (final ? "" : $"; retrying in {delay.TotalSeconds:0.###} s"));
            await store.CompleteAsync(job.Id, final ? WebhookJobStatus.Error : WebhookJobStatus.Pending, code, message, line, next, clock.GetUtcNow(), cancellationToken);
            if (final) logger.LogWarning("Webhook job {Job} of policy {Policy} failed after {Attempts} attempts: {Message}", job.Id, job.PolicyId, job.Attempts, message);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The store failed: the lease runs out and the job is tried again.
            logger.LogWarning(e, "Webhook job {Job} could not be processed", job.Id);
        }
    }

    private static TargetRefusedException? Refusal(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) if (x is TargetRefusedException refused) return refused;
        return null;
    }

    /// <summary>The address without user information or query, for logs.</summary>
    private static string Redact(string address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}" : "(invalid address)";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(TimeSpan.FromSeconds(Math.Max(0.05, options.Value.PollSeconds)), clock, RunOnceAsync, logger, "Webhook dispatch failed; trying again", stoppingToken);

    public override void Dispose()
    {
        _running.Dispose();
        base.Dispose();
    }
}
