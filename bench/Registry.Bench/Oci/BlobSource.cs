using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace Registry.Bench.Oci;

/// <summary>
/// Blob bytes generated while they are sent, so a 1 GiB blob never sits in memory. Every 1 MiB
/// block is one shared random block whose first 16 bytes are replaced by (seed, block index):
/// incompressible, and a distinct digest for every seed.
/// </summary>
public sealed class BlobSource(ulong seed, long length)
{
    public const int BlockSize = 1 << 20;
    const int WriteSize = 256 * 1024;
    static readonly byte[] Block = CreateBlock();
    string? digest;

    public long Length => length;

    /// <summary>SHA-256 over the whole content, computed once (untimed) by generating it.</summary>
    public string Digest => digest ??= ComputeDigest();

    public HttpContent ToContent(long offset = 0, long? count = null) => new BlobContent(this, offset, count ?? length - offset);

    /// <summary>
    /// A range of the content (all of it by default) as a read-only, seekable stream, generated as
    /// it is read (for the Azure SDK's uploads).
    /// </summary>
    public Stream OpenRead(long offset = 0, long? count = null) => new BlobStream(this, offset, count ?? length - offset);

    public async Task WriteToAsync(Stream stream, long offset, long count, CancellationToken ct)
    {
        var scratch = ArrayPool<byte>.Shared.Rent((int)Math.Min(WriteSize, Math.Max(count, 1)));
        try
        {
            for (long pos = offset, end = offset + count; pos < end;)
            {
                var n = (int)Math.Min(Math.Min(end - pos, BlockSize - pos % BlockSize), scratch.Length);
                Fill(pos, scratch.AsSpan(0, n));
                await stream.WriteAsync(scratch.AsMemory(0, n), ct);
                pos += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Writes content[pos .. pos + dest.Length); the range must not cross a block boundary.</summary>
    void Fill(long pos, Span<byte> dest)
    {
        var within = (int)(pos % BlockSize);
        Block.AsSpan(within, dest.Length).CopyTo(dest);
        if (within < 16)
        {
            Span<byte> header = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(header, seed);
            BinaryPrimitives.WriteInt64LittleEndian(header[8..], pos / BlockSize);
            header.Slice(within, Math.Min(16 - within, dest.Length)).CopyTo(dest);
        }
    }

    string ComputeDigest()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var scratch = new byte[(int)Math.Min(BlockSize, Math.Max(length, 1))];
        for (long pos = 0; pos < length;)
        {
            var n = (int)Math.Min(length - pos, scratch.Length);
            Fill(pos, scratch.AsSpan(0, n));
            hash.AppendData(scratch, 0, n);
            pos += n;
        }
        return DigestOf(hash.GetHashAndReset());
    }

    public static string DigestOf(ReadOnlySpan<byte> sha256) => "sha256:" + Convert.ToHexStringLower(sha256);

    public static string DigestOfContent(ReadOnlySpan<byte> content) => DigestOf(SHA256.HashData(content));

    static byte[] CreateBlock()
    {
        var block = new byte[BlockSize];
        new Random(20240601).NextBytes(block);
        return block;
    }

    /// <summary>Generates content[start + position ..] on every read; nothing is buffered.</summary>
    sealed class BlobStream(BlobSource blob, long start, long size) : Stream
    {
        long position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => size;

        public override long Position
        {
            get => position;
            set => position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
        }

        public override int Read(Span<byte> buffer)
        {
            var total = 0;
            while (total < buffer.Length && position < size)
            {
                var at = start + position;
                var n = (int)Math.Min(Math.Min(buffer.Length - total, size - position), BlockSize - at % BlockSize);
                blob.Fill(at, buffer.Slice(total, n));
                position += n;
                total += n;
            }
            return total;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            _ => size + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Streams a range of the blob with a known Content-Length (no chunked encoding, no buffering).</summary>
    sealed class BlobContent : HttpContent
    {
        readonly BlobSource blob;
        readonly long offset;
        readonly long count;

        public BlobContent(BlobSource blob, long offset, long count)
        {
            (this.blob, this.offset, this.count) = (blob, offset, count);
            Headers.ContentType = new("application/octet-stream");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            blob.WriteToAsync(stream, offset, count, CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken ct) =>
            blob.WriteToAsync(stream, offset, count, ct);

        protected override bool TryComputeLength(out long length)
        {
            length = count;
            return true;
        }
    }
}
