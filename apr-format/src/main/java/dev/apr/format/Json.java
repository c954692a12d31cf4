package dev.apr.format;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The one JSON setup of apr: plain Java values (LinkedHashMap keeping key order, ArrayList,
 * String, Integer/Long/BigInteger, Double, Boolean, null), strict UTF-8 checked before parsing,
 * no trailing content, and errors as one-line {@link AprException}s naming the source and the
 * byte position.
 *
 * <p>Duplicate keys: APR metadata keeps the last value (serde_json behaviour, apr-v2.md);
 * SafeTensors headers refuse them (gguf-safetensors.md §6.2) — callers pick with {@code strict}.
 */
public final class Json {
    private Json() {}

    /** Files read whole as JSON (config.json, tokenizer.json, index files) may not exceed this. */
    public static final long MAX_FILE_BYTES = 512L << 20;

    private static final ObjectMapper LENIENT = build(false);
    private static final ObjectMapper STRICT = build(true);

    private static ObjectMapper build(boolean strictDuplicates) {
        JsonMapper.Builder b = JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS);
        if (strictDuplicates) b.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        ObjectMapper m = b.build();
        // tokenizer.json embedded as one string is ~6 MB; metadata is capped at 16 MiB by the APR reader
        m.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(128 << 20).maxNestingDepth(256).build());
        return m;
    }

    /** The shared mapper (duplicate keys keep the last value). */
    public static ObjectMapper mapper() { return LENIENT; }

    /** Parses any JSON value from UTF-8 bytes. */
    public static Object parse(byte[] utf8, String source, boolean strictDuplicates) {
        checkUtf8(utf8, source);
        try {
            return (strictDuplicates ? STRICT : LENIENT).readValue(utf8, Object.class);
        } catch (JsonProcessingException e) {
            throw badJson(source, e);
        } catch (IOException e) {
            throw AprException.badInput("BAD_JSON", source + ": invalid JSON: " + oneLine(e.getMessage()));
        }
    }

    /** Parses a JSON object (anything else is refused) from UTF-8 bytes. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(byte[] utf8, String source, boolean strictDuplicates) {
        Object v = parse(utf8, source, strictDuplicates);
        if (!(v instanceof Map)) {
            throw AprException.badInput("BAD_JSON", source + ": expected a JSON object, got "
                    + (v == null ? "null" : v instanceof java.util.List ? "an array" : "a " + v.getClass().getSimpleName()));
        }
        return (Map<String, Object>) v;
    }

    /** Reads a whole JSON file that must hold one object. */
    public static Map<String, Object> readObject(Path file, boolean strictDuplicates) {
        return parseObject(readFile(file), file.toString(), strictDuplicates);
    }

    /** Reads a small file whole (JSON, text), refusing absurd sizes before allocating. */
    public static byte[] readFile(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES)
                throw BadInput.of("FILE_TOO_LARGE", file, "size", "<= " + MAX_FILE_BYTES + " bytes", size + " bytes");
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw AprException.badInput("FILE_NOT_FOUND", file + ": no such file");
        } catch (IOException e) {
            throw new AprException("IO_ERROR", AprException.BAD_INPUT, file + ": cannot read: " + e, e);
        }
    }

    /** Compact UTF-8 JSON (non-ASCII characters written as they are, not escaped). */
    public static byte[] compact(Object value) {
        try {
            return LENIENT.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not serialisable as JSON: " + e.getOriginalMessage(), e);
        }
    }

    public static String compactString(Object value) { return new String(compact(value), StandardCharsets.UTF_8); }

    /** Indented JSON for humans (two spaces, as HF files are). */
    public static String pretty(Object value) {
        try {
            return LENIENT.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not serialisable as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Refuses bytes that are not valid UTF-8, naming the byte offset of the first bad sequence. */
    public static void checkUtf8(byte[] bytes, String source) {
        int bad = firstInvalidUtf8(bytes, 0, bytes.length);
        if (bad >= 0)
            throw AprException.badInput("BAD_UTF8", source + ": invalid UTF-8 at byte " + bad
                    + String.format(" (0x%02x)", bytes[bad] & 0xff));
    }

    /** Offset of the first byte of an invalid UTF-8 sequence in b[off, off+len), or -1. */
    public static int firstInvalidUtf8(byte[] b, int off, int len) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b, off, len);
        CharBuffer out = CharBuffer.allocate(Math.min(len + 1, 1 << 16));
        while (true) {
            CoderResult r = dec.decode(in, out, true);
            if (r.isError()) return in.position();
            if (r.isOverflow()) { out.clear(); continue; }
            r = dec.flush(out);
            if (r.isOverflow()) { out.clear(); continue; }
            return -1;
        }
    }

    /** Decodes strict UTF-8 or refuses with the field name. */
    public static String utf8(byte[] b, Object file, String field) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            int at = firstInvalidUtf8(b, 0, b.length);
            throw BadInput.of("BAD_UTF8", file, field, "valid UTF-8", "an invalid byte at offset " + Math.max(at, 0));
        }
    }

    private static AprException badJson(String source, JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        String where = "";
        if (loc != null) {
            long at = loc.getByteOffset() >= 0 ? loc.getByteOffset() : loc.getCharOffset();
            where = " at byte " + at + " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
        }
        return AprException.badInput("BAD_JSON", source + ": invalid JSON" + where + ": " + oneLine(e.getOriginalMessage()));
    }

    private static String oneLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        String line = nl >= 0 ? s.substring(0, nl) : s;
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
