using System.Buffers;
using Microsoft.Net.Http.Headers;
using Registry.Grains.Storage;

namespace Registry.Api.Oci;

/// <summary>
/// Sends a blob, whole or one byte range. Reads go straight into Kestrel's output buffers in
/// large slices, so a byte is copied once on its way from the store to the socket.
/// </summary>
public static class BlobSender
{
    private const int Slice = 1 << 20;

    /// <summary>Sends <paramref name="length"/> bytes, the size recorded when the blob was committed, whatever the store's copy claims.</summary>
    public static async Task SendAsync(HttpContext context, BlobContent content, long length, string contentType)
    {
        var response = context.Response;
        response.ContentType = contentType;
        response.Headers.AcceptRanges = "bytes";
        var (start, count) = (0L, length);
        switch (ParseRange(context.Request.Headers.Range.ToString(), length))
        {
            case RangeResult.Unsatisfiable:
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                response.Headers.ContentRange = $"bytes */{length}";
                response.ContentLength = 0;
                return;
            case RangeResult.Partial partial:
                (start, count) = (partial.Start, partial.Length);
                response.StatusCode = StatusCodes.Status206PartialContent;
                response.Headers.ContentRange = $"bytes {start}-{start + count - 1}/{length}";
                break;
        }
        response.ContentLength = count;
        await CopyAsync(content.Stream, start, count, response, context.RequestAborted);
    }

    private static async Task CopyAsync(Stream source, long start, long count, HttpResponse response, CancellationToken cancellationToken)
    {
        if (start > 0 && source is not FileStream) source.Seek(start, SeekOrigin.Begin);
        var writer = response.BodyWriter;
        var remaining = count;
        while (remaining > 0)
        {
            var memory = writer.GetMemory((int)Math.Min(Slice, remaining));
            if (memory.Length > remaining) memory = memory[..(int)remaining];
            // A local file is read synchronously: from the page cache that is a memcpy, cheaper
            // than a hop through the thread pool for every slice.
            var read = source is FileStream file
                ? RandomAccess.Read(file.SafeFileHandle, memory.Span, start + count - remaining)
                : await source.ReadAsync(memory, cancellationToken);
            if (read == 0) throw new IOException($"blob ended {remaining} bytes early");
            writer.Advance(read);
            remaining -= read;
            var flushed = await writer.FlushAsync(cancellationToken);
            if (flushed.IsCanceled || flushed.IsCompleted) return;
        }
    }

    private abstract record RangeResult
    {
        public sealed record Whole : RangeResult;
        public sealed record Unsatisfiable : RangeResult;
        public sealed record Partial(long Start, long Length) : RangeResult;
    }

    /// <summary>One byte range (first-last, first-, or -suffix); several ranges or malformed headers are answered whole.</summary>
    private static RangeResult ParseRange(string header, long length)
    {
        if (header.Length == 0 || !RangeHeaderValue.TryParse(header, out var parsed) ||
            !string.Equals(parsed.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase) || parsed.Ranges.Count != 1)
        {
            return new RangeResult.Whole();
        }
        var range = parsed.Ranges.First();
        if (range.From is { } from)
        {
            if (from >= length) return new RangeResult.Unsatisfiable();
            var last = Math.Min(range.To ?? length - 1, length - 1);
            return new RangeResult.Partial(from, last - from + 1);
        }
        if (range.To is not { } suffix || suffix == 0 || length == 0) return new RangeResult.Unsatisfiable();
        var take = Math.Min(suffix, length);
        return new RangeResult.Partial(length - take, take);
    }
}
