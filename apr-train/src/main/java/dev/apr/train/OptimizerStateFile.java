package dev.apr.train;

import dev.apr.format.AprException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;

/**
 * AdamW state for {@code --resume}: {@code step-NNNNNN.optim} beside the checkpoint.
 * Layout (little-endian): magic "APROPT1\0" · u64 update count · u32 run fingerprint length ·
 * fingerprint UTF-8 (the options a resume must share) · u32 n · n f32 m · n f32 v · u32 CRC-32 of
 * all preceding bytes. Written to a temp file, fsynced, renamed.
 */
final class OptimizerStateFile {
    private OptimizerStateFile() {}

    private static final byte[] MAGIC = "APROPT1\0".getBytes(StandardCharsets.US_ASCII);

    record State(long step, String fingerprint, float[] m, float[] v) {}

    static void write(Path path, long step, String fingerprint, float[] m, float[] v) throws IOException {
        byte[] fp = fingerprint.getBytes(StandardCharsets.UTF_8);
        dev.apr.format.io.AtomicWrite.write(path, ch -> {
            CRC32 crc = new CRC32();
            ByteBuffer head = ByteBuffer.allocate(8 + 8 + 4 + fp.length + 4).order(ByteOrder.LITTLE_ENDIAN);
            head.put(MAGIC).putLong(step).putInt(fp.length).put(fp).putInt(m.length).flip();
            emit(ch, crc, head);
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (float[] a : new float[][] {m, v}) {
                for (float x : a) {
                    if (buf.remaining() < 4) { buf.flip(); emit(ch, crc, buf); buf.clear(); }
                    buf.putFloat(x);
                }
            }
            buf.flip();
            emit(ch, crc, buf);
            ByteBuffer foot = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue()).flip();
            while (foot.hasRemaining()) ch.write(foot);
        });
    }

    private static void emit(FileChannel ch, CRC32 crc, ByteBuffer b) throws IOException {
        crc.update(b.duplicate());
        while (b.hasRemaining()) ch.write(b);
    }

    static State read(Path path, int expectedN) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            long size = ch.size();
            long min = 8 + 8 + 4 + 4 + 4;
            if (size < min) throw bad(path, "size: expected at least " + min + " bytes, got " + size);
            MemorySegment f = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (f.asSlice(0, 8).mismatch(MemorySegment.ofArray(MAGIC)) != -1)
                throw bad(path, "magic: expected \"APROPT1\\0\", got other bytes");
            CRC32 crc = new CRC32();
            crc.update(f.asSlice(0, size - 4).asByteBuffer());
            if (f.get(I32, size - 4) != (int) crc.getValue()) throw bad(path, "CRC-32 mismatch (file truncated or corrupted)");
            long step = f.get(I64, 8);
            int fpLen = f.get(I32, 16);
            if (fpLen < 0 || 20L + fpLen + 4 > size - 4) throw bad(path, "fingerprint length " + fpLen + " past the end");
            String fp = new String(f.asSlice(20, fpLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            long at = 20L + fpLen;
            int n = f.get(I32, at);
            if (n != expectedN) throw bad(path, "parameter count: expected " + expectedN + ", got " + n);
            if (at + 4 + 8L * n + 4 != size) throw bad(path, "size: expected " + (at + 4 + 8L * n + 4) + " bytes, got " + size);
            float[] m = new float[n], v = new float[n];
            MemorySegment.copy(f, F32, at + 4, m, 0, n);
            MemorySegment.copy(f, F32, at + 4 + 4L * n, v, 0, n);
            return new State(step, fp, m, v);
        } catch (IOException e) {
            throw bad(path, e.toString());
        }
    }

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static AprException bad(Path p, String msg) {
        return AprException.badInput("RESUME_BAD_STATE", p + ": " + msg);
    }
}
