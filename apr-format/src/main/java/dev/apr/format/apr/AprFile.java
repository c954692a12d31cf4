package dev.apr.format.apr;

import dev.apr.format.BadInput;
import dev.apr.format.DType;
import dev.apr.format.Json;
import dev.apr.format.ModelFile;
import dev.apr.format.Tensor;
import dev.apr.format.io.Bytes;
import dev.apr.format.io.Mapped;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

import static dev.apr.format.apr.AprFormat.*;

/**
 * The one reader of APR v2 files (specs/apr-v2.md). The file is memory-mapped; tensors are
 * slices of the mapping, valid until {@link #close()}.
 *
 * <p>Everything is checked before use, with overflow-checked arithmetic and before any
 * allocation sized by the file: magic (the v1 {@code APRN} is refused by name), version, header
 * CRC, flags (compressed, encrypted and column-major files are refused), every offset and size
 * against the file length, the index (exactly {@code tensor_count} entries, names sorted
 * byte-wise and unique, known dtypes, sizes matching the shapes, data inside the data section,
 * no two tensors overlapping), the metadata JSON and, unless asked not to, the footer CRC.
 */
public final class AprFile implements ModelFile {
    private final Path path;
    private final Mapped mapped;
    private final int versionMajor, versionMinor, flagBits;
    private final long metadataSize, indexOffset, dataOffset;
    private final int storedFooterCrc;
    private final Map<String, Object> rawMetadata;
    private final Map<String, Object> metadata;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> byName;
    private final Map<String, Integer> legacyCodes;
    private Boolean footerValid;

    private AprFile(Path path, Mapped mapped, int major, int minor, int flags, long metadataSize, long indexOffset,
                    long dataOffset, int footerCrc, Map<String, Object> raw, List<Tensor> tensors, Map<String, Integer> legacyCodes) {
        this.path = path;
        this.mapped = mapped;
        this.versionMajor = major;
        this.versionMinor = minor;
        this.flagBits = flags;
        this.metadataSize = metadataSize;
        this.indexOffset = indexOffset;
        this.dataOffset = dataOffset;
        this.storedFooterCrc = footerCrc;
        this.legacyCodes = Map.copyOf(legacyCodes);
        this.rawMetadata = Collections.unmodifiableMap(raw);
        this.metadata = Collections.unmodifiableMap(promoteAliases(raw));
        this.tensors = List.copyOf(tensors);
        Map<String, Tensor> m = new HashMap<>();
        for (Tensor t : tensors) m.put(t.name(), t);
        this.byName = m;
    }

    /** Opens and fully validates an APR v2 file, footer CRC included. */
    public static AprFile open(Path path) { return open(path, true); }

    /**
     * Opens an APR v2 file. With {@code verifyFooter} false the footer CRC is not computed at open
     * (inspect reports it instead through {@link #footerChecksumValid()}); everything else is checked.
     */
    public static AprFile open(Path path, boolean verifyFooter) {
        Mapped m = Mapped.open(path);
        try {
            AprFile f = parse(path, m);
            if (verifyFooter && !f.footerChecksumValid())
                throw BadInput.of("APR_BAD_CHECKSUM", path, "footer CRC-32",
                        String.format("0x%08x", f.computeFooterCrc()), String.format("0x%08x", f.storedFooterCrc));
            return f;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static AprFile parse(Path path, Mapped m) {
        MemorySegment s = m.segment();
        long size = s.byteSize();
        // ---- magic and header --------------------------------------------------------------
        if (size < 4) throw BadInput.of("APR_TRUNCATED", path, "file size", ">= 68 bytes (header + footer)", size + " bytes");
        if (startsWith(s, MAGIC_V1))
            throw BadInput.message("APR_V1_UNSUPPORTED", path, "magic: this is an APR v1 'APRN' file (the older classical-ML container); "
                    + "expected APR v2 magic 'APR\\0'; re-export the model as APR v2");
        if (!startsWith(s, MAGIC))
            throw BadInput.of("APR_BAD_MAGIC", path, "magic", "41 50 52 00 (\"APR\\0\")", Bytes.hexPrefix(s, 4));
        if (size < HEADER_SIZE + 4)
            throw BadInput.of("APR_TRUNCATED", path, "file size", ">= 68 bytes (header + footer)", size + " bytes");
        int major = Bytes.u8(s, 4), minor = Bytes.u8(s, 5);
        if (major != VERSION_MAJOR) throw BadInput.of("APR_BAD_VERSION", path, "version", "2.x", major + "." + minor);
        int storedHeaderCrc = s.get(Bytes.LE_INT, 40);
        int headerCrc = headerCrc(s);
        if (storedHeaderCrc != headerCrc)
            throw BadInput.of("APR_BAD_CHECKSUM", path, "header CRC-32", String.format("0x%08x", headerCrc),
                    String.format("0x%08x", storedHeaderCrc));
        int flags = Bytes.u16(s, 6);
        if ((flags & AprFlags.LAYOUT_COLUMN_MAJOR) != 0)
            throw BadInput.of("APR_COLUMN_MAJOR", path, "flags", "LAYOUT_ROW_MAJOR (column-major files are forbidden)",
                    AprFlags.names(flags));
        if ((flags & AprFlags.UNREADABLE) != 0)
            throw BadInput.of("APR_UNSUPPORTED_FLAGS", path, "flags", "no LZ4_COMPRESSED, ZSTD_COMPRESSED or ENCRYPTED",
                    AprFlags.names(flags));
        long tensorCount = Bytes.u32(s, 8);
        long metadataOffset = Bytes.u64(s, 12);
        long metadataSize = Bytes.u32(s, 20);
        long indexOffset = Bytes.u64(s, 24);
        long dataOffset = Bytes.u64(s, 32);
        long footerAt = size - 4;

        // ---- section bounds (all values checked before any is used) ------------------------
        if (metadataOffset != HEADER_SIZE)
            throw BadInput.of("APR_BAD_OFFSET", path, "metadata_offset", HEADER_SIZE, Long.toUnsignedString(metadataOffset));
        if (metadataSize > MAX_METADATA_SIZE)
            throw BadInput.of("APR_BAD_SIZE", path, "metadata_size", "<= " + MAX_METADATA_SIZE + " (16 MiB)", metadataSize);
        long metadataEnd = HEADER_SIZE + metadataSize;
        if (metadataEnd > footerAt)
            throw BadInput.of("APR_TRUNCATED", path, "metadata_size", "metadata to end by byte " + footerAt + " (file size " + size + ")",
                    metadataSize + " (ends at " + metadataEnd + ")");
        if (indexOffset < metadataEnd || indexOffset > footerAt)
            throw BadInput.of("APR_BAD_OFFSET", path, "tensor_index_offset", "in [" + metadataEnd + ", " + footerAt + "]",
                    Long.toUnsignedString(indexOffset));
        if (dataOffset < indexOffset || dataOffset > footerAt)
            throw BadInput.of("APR_BAD_OFFSET", path, "data_offset", "in [" + indexOffset + ", " + footerAt + "]",
                    Long.toUnsignedString(dataOffset));
        if (tensorCount > MAX_TENSORS)
            throw BadInput.of("APR_BAD_COUNT", path, "tensor_count", "<= " + MAX_TENSORS, tensorCount);
        long maxEntries = (dataOffset - indexOffset) / MIN_ENTRY_SIZE;
        if (tensorCount > maxEntries)
            throw BadInput.of("APR_BAD_COUNT", path, "tensor_count", "<= " + maxEntries + " (index section of "
                    + (dataOffset - indexOffset) + " bytes, >= " + MIN_ENTRY_SIZE + " bytes per entry)", tensorCount);

        // ---- metadata ----------------------------------------------------------------------
        byte[] json = s.asSlice(HEADER_SIZE, metadataSize).toArray(ValueLayout.JAVA_BYTE);
        Map<String, Object> raw = Json.parseObject(json, path + ": metadata", false);

        // ---- tensor index ------------------------------------------------------------------
        long dataSize = footerAt - dataOffset;
        MemorySegment data = s.asSlice(dataOffset, dataSize);
        List<Tensor> tensors = new ArrayList<>((int) tensorCount);
        Map<String, Integer> legacyCodes = new java.util.HashMap<>();
        long[][] extents = new long[(int) tensorCount][];
        long pos = indexOffset;
        byte[] prevName = null;
        for (int i = 0; i < tensorCount; i++) {
            String where = "tensor index entry " + i;
            need(path, pos, 2, dataOffset, where + " name_len");
            int nameLen = Bytes.u16(s, pos);
            if (nameLen > MAX_NAME_LEN) throw BadInput.of("APR_BAD_INDEX", path, where + " name_len", "<= " + MAX_NAME_LEN, nameLen);
            pos += 2;
            need(path, pos, nameLen + 2L, dataOffset, where + " name");
            byte[] nameBytes = s.asSlice(pos, nameLen).toArray(ValueLayout.JAVA_BYTE);
            String name = Json.utf8(nameBytes, path, where + " name");
            where = "tensor '" + name + "'";
            pos += nameLen;
            int code = Bytes.u8(s, pos);
            int ndim = Bytes.u8(s, pos + 1);
            pos += 2;
            DType dtype = DType.fromApr(code);
            if (dtype == null)
                throw BadInput.of("APR_BAD_DTYPE", path, where + " dtype", "one of 0,1,3,4,5,6,7,12,14,30,128,129 (or legacy 8,9)", code);
            if (ndim > MAX_NDIM) throw BadInput.of("APR_BAD_INDEX", path, where + " ndim", "<= " + MAX_NDIM, ndim);
            need(path, pos, ndim * 8L + 16, dataOffset, where + " dims/offset/size");
            long[] shape = new long[ndim];
            for (int d = 0; d < ndim; d++) {
                shape[d] = Bytes.u64(s, pos);
                if (shape[d] < 0)
                    throw BadInput.of("APR_BAD_SHAPE", path, where + " dim " + d, "< 2^63", Long.toUnsignedString(shape[d]));
                pos += 8;
            }
            long offset = Bytes.u64(s, pos);
            long tsize = Bytes.u64(s, pos + 8);
            pos += 16;
            long expected;
            try {
                expected = AprFormat.tensorBytes(dtype, shape);
            } catch (ArithmeticException e) {
                throw BadInput.of("APR_BAD_SHAPE", path, where + " shape", "element and byte counts < 2^63", Arrays.toString(shape));
            }
            boolean q8Empty = dtype == DType.APR_Q8 && expected == 0 && tsize == 4;
            if (expected < 0 || (tsize != expected && !q8Empty))
                throw BadInput.of("APR_BAD_SIZE", path, where + " size", expected < 0
                        ? "a shape storable as " + dtype : expected + " bytes for " + dtype + " " + Arrays.toString(shape),
                        Long.toUnsignedString(tsize));
            if (offset < 0 || offset > dataSize || tsize > dataSize - offset)
                throw BadInput.of("APR_BAD_OFFSET", path, where + " offset+size", "within the data section of " + dataSize + " bytes",
                        Long.toUnsignedString(offset) + "+" + tsize);
            if (prevName != null) {
                int c = Arrays.compareUnsigned(prevName, nameBytes);
                if (c == 0) throw BadInput.of("APR_DUPLICATE_TENSOR", path, where, "unique tensor names", "a second entry of the same name");
                if (c > 0) throw BadInput.of("APR_UNSORTED_INDEX", path, "tensor index", "names sorted byte-wise",
                        "'" + name + "' after '" + new String(prevName, java.nio.charset.StandardCharsets.UTF_8) + "'");
            }
            prevName = nameBytes;
            extents[i] = new long[] {offset, tsize, i};
            tensors.add(new Tensor(name, dtype, shape, data.asSlice(offset, tsize)));
            if (code != dtype.aprCode) legacyCodes.put(name, code);
        }
        checkNoOverlap(path, extents, tensors);
        int footerCrc = s.get(Bytes.LE_INT, footerAt);
        return new AprFile(path, m, major, minor, flags, metadataSize, indexOffset, dataOffset, footerCrc, raw, tensors, legacyCodes);
    }

    private static void checkNoOverlap(Path path, long[][] extents, List<Tensor> tensors) {
        long[][] sorted = extents.clone();
        Arrays.sort(sorted, (a, b) -> Long.compare(a[0], b[0]));
        for (int i = 1; i < sorted.length; i++) {
            long[] prev = sorted[i - 1], cur = sorted[i];
            if (prev[1] > 0 && cur[1] > 0 && prev[0] + prev[1] > cur[0])
                throw BadInput.of("APR_OVERLAP", path, "tensor '" + tensors.get((int) cur[2]).name() + "' offset",
                        ">= " + (prev[0] + prev[1]) + " (end of '" + tensors.get((int) prev[2]).name() + "')", cur[0]);
        }
    }

    private static void need(Path path, long pos, long n, long limit, String field) {
        if (n > limit - pos)
            throw BadInput.of("APR_TRUNCATED", path, field, "to fit in the index section ending at byte " + limit,
                    "needs bytes " + pos + ".." + (pos + n));
    }

    private static boolean startsWith(MemorySegment s, byte[] magic) {
        for (int i = 0; i < magic.length; i++) if (s.get(ValueLayout.JAVA_BYTE, i) != magic[i]) return false;
        return true;
    }

    /** CRC-32 of header bytes 0..40 followed by 44..64 (the checksum field itself left out). */
    static int headerCrc(MemorySegment s) {
        CRC32 c = new CRC32();
        c.update(s.asSlice(0, 40).asByteBuffer());
        c.update(s.asSlice(44, 20).asByteBuffer());
        return (int) c.getValue();
    }

    static int headerCrc(byte[] header) {
        CRC32 c = new CRC32();
        c.update(header, 0, 40);
        c.update(header, 44, 20);
        return (int) c.getValue();
    }

    private int computeFooterCrc() {
        CRC32 c = new CRC32();
        MemorySegment s = mapped.segment();
        long n = s.byteSize() - 4;
        for (long off = 0; off < n; off += 1 << 26) c.update(s.asSlice(off, Math.min(1 << 26, n - off)).asByteBuffer());
        return (int) c.getValue();
    }

    /** Promotes aliases (n_embd, num_hidden_layers, ...) to the typed keys when those are absent. */
    static Map<String, Object> promoteAliases(Map<String, Object> raw) {
        Map<String, Object> m = new LinkedHashMap<>(raw);
        for (Map.Entry<String, Object> e : raw.entrySet()) {
            String typed = ALIASES.get(e.getKey());
            if (typed != null && m.get(typed) == null && e.getValue() != null) m.put(typed, e.getValue());
        }
        return m;
    }

    // ---- accessors ---------------------------------------------------------------------------

    @Override public Path path() { return path; }

    @Override public String format() { return "APR"; }

    public String version() { return versionMajor + "." + versionMinor; }

    public int versionMajor() { return versionMajor; }

    public int versionMinor() { return versionMinor; }

    public int flagBits() { return flagBits; }

    /** Names of the set flags, e.g. [HAS_VOCAB, LAYOUT_ROW_MAJOR]. */
    public List<String> flags() { return AprFlags.names(flagBits); }

    public boolean hasFlag(String name) { return (flagBits & AprFlags.bit(name)) != 0; }

    public boolean hasFlag(int bit) { return (flagBits & bit) == bit; }

    /** Always true for an opened file: a bad header CRC is refused at open. */
    public boolean headerChecksumValid() { return true; }

    /** CRC-32 of every byte before the footer equals the footer (computed once, on first call). */
    public synchronized boolean footerChecksumValid() {
        if (footerValid == null) footerValid = computeFooterCrc() == storedFooterCrc;
        return footerValid;
    }

    /** Metadata with aliases promoted to typed keys. */
    @Override public Map<String, Object> metadata() { return metadata; }

    /** Metadata exactly as stored (after JSON parsing). */
    public Map<String, Object> rawMetadata() { return rawMetadata; }

    @Override public List<Tensor> tensors() { return tensors; }

    @Override public Tensor tensor(String name) { return byName.get(name); }

    /**
     * The dtype code stored in the index for this tensor: {@code dtype().aprCode}, except for the
     * legacy numbering 8/9 of APR_Q4/APR_Q8 (older aprender files), kept so a copy is byte for byte.
     */
    public int storedCode(String name) {
        Integer legacy = legacyCodes.get(name);
        return legacy != null ? legacy : byName.get(name).dtype().aprCode;
    }

    public long fileSize() { return mapped.size(); }

    public long metadataSize() { return metadataSize; }

    public long tensorIndexOffset() { return indexOffset; }

    public long dataOffset() { return dataOffset; }

    /** The whole mapped file (for copying sections byte for byte). */
    public MemorySegment bytes() { return mapped.segment(); }

    @Override public void close() { mapped.close(); }

    @Override public String toString() { return "AprFile[" + path + ", " + tensors.size() + " tensors]"; }
}
