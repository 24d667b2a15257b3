namespace Registry.Api.Tests;

/// <summary>
/// A body sent as a stream: without Content-Length (chunked), or with a <paramref name="claimedLength"/>
/// that need not be true, to see that the server counts the bytes itself.
/// </summary>
public sealed class StreamedContent(byte[] content, long? claimedLength = null) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(content).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        length = claimedLength ?? 0;
        return claimedLength is not null;
    }
}
