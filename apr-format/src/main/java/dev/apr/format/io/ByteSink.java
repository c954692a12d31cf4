package dev.apr.format.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32;

/**
 * A buffered writer on a FileChannel that counts bytes and keeps a running CRC-32 of everything
 * written. Large MemorySegments (mapped tensors) go to the channel in chunks, never copied whole.
 */
public final class ByteSink {
    private static final int CHUNK = 8 << 20;
    private final FileChannel ch;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
    private final CRC32 crc = new CRC32();
    private long position;

    public ByteSink(FileChannel ch) { this.ch = ch; }

    public long position() { return position; }

    /** CRC-32 of every byte written so far. */
    public int crc() {
        return (int) crcValue();
    }

    private long crcValue() {
        flushBuffer();
        return crc.getValue();
    }

    public void write(byte[] b) { write(b, 0, b.length); }

    public void write(byte[] b, int off, int len) {
        while (len > 0) {
            if (!buf.hasRemaining()) flushBuffer();
            int n = Math.min(len, buf.remaining());
            buf.put(b, off, n);
            off += n;
            len -= n;
            position += n;
        }
    }

    public void write(ByteBuffer src) {
        if (src.remaining() > buf.capacity()) {
            flushBuffer();
            int n = src.remaining();
            crc.update(src.duplicate());
            writeFully(src);
            position += n;
            return;
        }
        while (src.hasRemaining()) {
            if (!buf.hasRemaining()) flushBuffer();
            int n = Math.min(src.remaining(), buf.remaining());
            ByteBuffer part = src.slice(src.position(), n);
            buf.put(part);
            src.position(src.position() + n);
            position += n;
        }
    }

    public void write(MemorySegment seg) {
        long size = seg.byteSize();
        for (long off = 0; off < size; off += CHUNK) {
            write(seg.asSlice(off, Math.min(CHUNK, size - off)).asByteBuffer());
        }
    }

    public void writeZeros(long n) {
        while (n > 0) {
            if (!buf.hasRemaining()) flushBuffer();
            int k = (int) Math.min(n, buf.remaining());
            for (int i = 0; i < k; i++) buf.put((byte) 0);
            n -= k;
            position += k;
        }
    }

    /** Writes everything buffered to the channel. */
    public void flush() { flushBuffer(); }

    private void flushBuffer() {
        buf.flip();
        if (buf.hasRemaining()) {
            crc.update(buf.duplicate());
            writeFully(buf);
        }
        buf.clear();
    }

    private void writeFully(ByteBuffer b) {
        try {
            while (b.hasRemaining()) ch.write(b);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
