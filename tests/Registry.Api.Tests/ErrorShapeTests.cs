using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Registry.Api.Management;
using Registry.Api.Oci;

namespace Registry.Api.Tests;

/// <summary>
/// An exception that escapes every endpoint's own error handling is still answered in the API's
/// error shape (Harbor's under /api/v2.0, OCI's under /v2) with a trace id, in Development too,
/// where ASP.NET Core would otherwise send the developer exception page with the stack trace.
/// </summary>
public sealed class ErrorShapeTests
{
    /// <summary>Fails while the result of /systeminfo is written: after the management filter has returned.</summary>
    private sealed class FailingWriter : JsonConverter<GeneralInfo>
    {
        public override GeneralInfo Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException();

        public override void Write(Utf8JsonWriter writer, GeneralInfo value, JsonSerializerOptions options) =>
            throw new InvalidOperationException("secret detail of a failed write");
    }

    [Fact]
    public async Task AFailureWritingAHarborResultIsAHarbor500InDevelopment()
    {
        await using var registry = new RegistryFactory
        {
            Customize = b => b.UseEnvironment("Development")
                .ConfigureTestServices(s => s.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new FailingWriter()))),
        };
        using var response = await registry.Admin.GetAsync("/api/v2.0/systeminfo");
        await AssertErrorShapeAsync(response, "INTERNAL_SERVER_ERROR");
    }

    [Fact]
    public async Task AFailureBeforeTheDistributionHandlerRunsIsAnOci500InDevelopment()
    {
        await using var registry = new RegistryFactory
        {
            Customize = b => b.UseEnvironment("Development").ConfigureTestServices(s =>
            {
                s.RemoveAll<OciServices>();
                s.AddSingleton<OciServices>(_ => throw new InvalidOperationException("secret detail of a failed construction"));
            }),
        };
        using var response = await registry.Admin.GetAsync("/v2/library/app/tags/list");
        await AssertErrorShapeAsync(response, "UNKNOWN");
        Assert.Equal("registry/2.0", response.Header("Docker-Distribution-API-Version"));
    }

    private static async Task AssertErrorShapeAsync(HttpResponseMessage response, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("secret detail", body);
        Assert.DoesNotContain("   at ", body);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal([code], Expect.ErrorCodes(body));
    }
}
