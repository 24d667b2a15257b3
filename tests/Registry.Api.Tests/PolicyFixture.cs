using System.Reflection;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Registry.Api.Identity.Ldap;

namespace Registry.Api.Tests;

/// <summary>The real clock moved forward by what a test asks: push and pull times days apart, cron schedules due, while Orleans' timers keep running.</summary>
public sealed class OffsetClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}

/// <summary>A registry whose <see cref="TimeProvider"/> is a <typeparamref name="TClock"/> the tests move.</summary>
public abstract class ClockedRegistryFixture<TClock> : IAsyncLifetime where TClock : TimeProvider, new()
{
    public TClock Clock { get; } = new();

    public RegistryFactory Registry { get; }

    protected ClockedRegistryFixture() => Registry = new RegistryFactory
    {
        Customize = b => b.ConfigureTestServices(s => s.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock))),
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Registry.DisposeAsync();
}

/// <summary>The registry for the label and retention tests, on an <see cref="OffsetClock"/>.</summary>
public sealed class PolicyFixture : IAsyncLifetime
{
    public OffsetClock Clock { get; } = new();

    public RegistryFactory Registry { get; }

    public PolicyFixture()
    {
        Registry = new RegistryFactory
        {
            Customize = b => b.ConfigureTestServices(s =>
            {
                s.TryAddSingleton(_ => DispatchProxy.Create<ILdapDirectory, RepositoryApiFixture.NoDirectory>());
                s.AddSingleton<TimeProvider>(Clock);
            }),
        };
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Registry.DisposeAsync();
}
