package dev.apr.model.export;

import dev.apr.format.AprException;
import dev.apr.format.BadInput;
import dev.apr.format.Json;
import dev.apr.format.Spdx;
import dev.apr.format.Tensor;
import dev.apr.format.apr.AprFile;
import dev.apr.format.apr.AprFlags;
import dev.apr.format.apr.AprWriter;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code apr stamp IN.apr ... -o OUT.apr}: rewrites an APR file's metadata (licence, data
 * provenance, architecture names, embedded tokenizer) and never its tensor bytes
 * (specs/apr-v2.md "apr stamp").
 *
 * <p>The steps, each refusing bad input before anything is written:
 * <ol>
 *   <li>OUT must not exist unless forced; licences must be known SPDX ids (stored in their
 *       canonical spelling); architecture names must be ones apr knows and agree with each other;</li>
 *   <li>the new metadata is the input's, with the requested keys replaced; {@code --tokenizer}
 *       replaces every embedded-tokenizer key ({@link TokenizerEmbedding}) and sets HAS_VOCAB;
 *       other flags (QUANTIZED ...) are kept;</li>
 *   <li>when the result serialises to the same metadata and flags as the input, nothing would
 *       change: refused;</li>
 *   <li>the file is written by {@link AprWriter} (deterministic: no timestamps, so stamping twice
 *       gives identical bytes) to a temporary file beside OUT, re-read with {@link AprFile}
 *       (both CRCs checked), its metadata and flags compared with what was meant, and its tensor
 *       section (index and data) compared byte for byte with the input's; only then is it renamed
 *       to OUT.</li>
 * </ol>
 */
public final class Stamper {
    private Stamper() {}

    /** What to change; null leaves a field as it is. */
    public record Options(String license, String dataSource, String dataLicense, String architecture,
                          String hfArchitecture, String hfModelType, Path tokenizerDir) {
        boolean nothingRequested() {
            return license == null && dataSource == null && dataLicense == null && architecture == null
                    && hfArchitecture == null && hfModelType == null && tokenizerDir == null;
        }
    }

    /** The stamped file, the keys that changed ("license: null -> Apache-2.0"), its flags. */
    public record Result(Path output, List<String> changed, List<String> flagNames, int tensorCount, long bytes,
                         List<String> warnings) {}

    /** Family slug to its Transformers class and model_type (the architectures apr runs). */
    private static final Map<String, String[]> FAMILIES = Map.of(
            "qwen2", new String[] {"Qwen2ForCausalLM", "qwen2"},
            "llama", new String[] {"LlamaForCausalLM", "llama"});

    public static Result stamp(Path in, Path out, Options o, boolean force) {
        if (o.nothingRequested())
            throw new AprException("NOTHING_TO_STAMP", AprException.USAGE, "apr stamp: expected at least one of --license,"
                    + " --data-source, --data-license, --architecture, --hf-architecture, --hf-model-type, --tokenizer; got none");
        if (Files.isDirectory(out))
            throw AprException.badInput("OUTPUT_IS_DIRECTORY", out + ": -o: expected a file path, got a directory");
        if (Files.exists(out) && !force)
            throw AprException.badInput("OUTPUT_EXISTS", out + ": -o: expected a path that does not exist yet, got an existing file"
                    + " (use -f to overwrite it)");
        String license = o.license() == null ? null : Spdx.canonical(o.license(), "--license");
        String dataLicense = o.dataLicense() == null ? null : Spdx.canonical(o.dataLicense(), "--data-license");
        String dataSource = o.dataSource() == null ? null : checkText(o.dataSource(), "--data-source");
        String arch = o.architecture() == null ? null : checkFamily(o.architecture());
        String hfArch = o.hfArchitecture() == null ? null : checkHfArchitecture(o.hfArchitecture());
        String hfType = o.hfModelType() == null ? null : checkHfModelType(o.hfModelType());

        try (AprFile src = AprFile.open(in)) {
            Map<String, Object> before = src.rawMetadata();
            Map<String, Object> md = new LinkedHashMap<>(before);
            int flags = src.flagBits();
            List<String> warnings = new ArrayList<>();

            if (license != null) md.put("license", license);
            if (dataLicense != null) md.put("data_license", dataLicense);
            if (dataSource != null) md.put("data_source", dataSource);
            if (arch != null) {
                Object oldArch = md.get("architecture");
                Object mt = md.get("model_type");
                // model_type defaults to the family slug: follow the architecture when it did
                if (mt == null || "".equals(mt) || Objects.equals(mt, oldArch)) md.put("model_type", arch);
                md.put("architecture", arch);
            }
            if (hfArch != null) md.put("hf_architecture", hfArch);
            if (hfType != null) md.put("hf_model_type", hfType);
            checkArchitectureAgrees(md, in);

            if (o.tokenizerDir() != null) {
                int rows = modelVocabSize(src);
                TokenizerEmbedding.Embedded e = TokenizerEmbedding.fromDirectory(o.tokenizerDir(), rows,
                        intOr(md.get("tokenizer.bos_token_id"), -1), intOr(md.get("tokenizer.eos_token_id"), -1));
                for (String key : TokenizerEmbedding.KEYS) md.remove(key);
                md.putAll(e.keys());
                flags |= AprFlags.HAS_VOCAB;
                warnings.addAll(e.notes());
            }

            AprWriter w = new AprWriter().flags(flags).metadata(md);
            for (Tensor t : src.tensors()) w.copy(src, t);
            byte[] newJson = w.metadataJson();
            AprWriter same = new AprWriter().flags(src.flagBits()).metadata(before);
            for (Tensor t : src.tensors()) same.copy(src, t);
            if (flags == src.flagBits() && java.util.Arrays.equals(newJson, same.metadataJson()))
                throw AprException.badInput("NOTHING_CHANGES", in + ": stamp: expected at least one metadata value or flag"
                        + " to change, got the same values the file already has (nothing to do)");
            if (newJson.length > dev.apr.format.apr.AprFormat.MAX_METADATA_SIZE)
                throw AprException.badInput("APR_METADATA_TOO_LARGE", out + ": metadata: expected <= "
                        + dev.apr.format.apr.AprFormat.MAX_METADATA_SIZE + " bytes (16 MiB) of JSON, got " + newJson.length
                        + (o.tokenizerDir() != null ? " with the tokenizer of " + o.tokenizerDir() : ""));

            List<String> changed = describeChanges(before, Json.parseObject(newJson, "stamped metadata", false),
                    src.flagBits(), flags);
            long bytes = writeChecked(src, w, newJson, flags, out);
            return new Result(out, changed, AprFlags.names(flags), src.tensors().size(), bytes, List.copyOf(warnings));
        }
    }

    // ---- writing and the re-read check -----------------------------------------------------

    /** Writes to a temporary file beside OUT, checks it, then renames it to OUT. */
    private static long writeChecked(AprFile src, AprWriter w, byte[] expectedJson, int flags, Path out) {
        Path abs = out.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".stamp-" + ProcessHandle.current().pid() + ".tmp");
        try {
            w.write(tmp);
            long size;
            try (AprFile check = AprFile.open(tmp)) { // verifies header and footer CRCs
                size = check.fileSize();
                if (check.flagBits() != (flags | AprFlags.LAYOUT_ROW_MAJOR))
                    throw verifyFailed(out, "flags", AprFlags.names(flags | AprFlags.LAYOUT_ROW_MAJOR), check.flags());
                byte[] json = check.bytes().asSlice(64, check.metadataSize()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                if (!java.util.Arrays.equals(json, expectedJson))
                    throw verifyFailed(out, "metadata", expectedJson.length + " bytes as serialised", json.length + " different bytes");
                MemorySegment a = tensorSection(src), b = tensorSection(check);
                long mismatch = a.mismatch(b);
                if (mismatch != -1)
                    throw verifyFailed(out, "tensor section (index + data)", "identical to " + src.path() + " ("
                            + a.byteSize() + " bytes)", "a difference at section byte " + mismatch + " (sizes " + a.byteSize()
                            + " vs " + b.byteSize() + ")");
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(abs.getParent());
            return size;
        } catch (IOException e) {
            throw new AprException("IO_ERROR", AprException.BAD_INPUT, out + ": cannot write: " + e, e);
        } finally {
            try { Files.deleteIfExists(tmp); } catch (IOException ignored) { /* best effort */ }
        }
    }

    /** From the tensor index to the footer: relative offsets, so equal bytes mean equal tensors. */
    private static MemorySegment tensorSection(AprFile f) {
        return f.bytes().asSlice(f.tensorIndexOffset(), f.fileSize() - 4 - f.tensorIndexOffset());
    }

    private static AprException verifyFailed(Path out, String field, Object expected, Object actual) {
        return new AprException("STAMP_VERIFY_FAILED", AprException.VERIFY, out + ": re-read check: " + field
                + ": expected " + expected + ", got " + actual + "; OUT was not written");
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // some file systems cannot fsync a directory; the rename itself is still atomic
        }
    }

    // ---- checks ------------------------------------------------------------------------------

    /** The embedding rows: metadata vocab_size, else the rows of model.embed_tokens.weight. */
    private static int modelVocabSize(AprFile src) {
        Object v = src.metadata().get("vocab_size");
        if (v instanceof Number n && n.longValue() > 0 && n.longValue() <= Integer.MAX_VALUE) return n.intValue();
        Tensor emb = src.tensor("model.embed_tokens.weight");
        if (emb != null && emb.shape().length == 2 && emb.shape()[0] <= Integer.MAX_VALUE) return (int) emb.shape()[0];
        throw BadInput.of("VOCAB_UNKNOWN", src.path(), "vocab_size", "a positive integer (or a 2-D model.embed_tokens.weight)"
                + " to check the tokenizer against", v == null ? "neither" : v);
    }

    private static String checkText(String s, String field) {
        if (s.isBlank() || s.length() > 4096)
            throw new AprException("BAD_OPTION", AprException.USAGE, field + ": expected 1..4096 characters of text, got "
                    + (s.isBlank() ? "an empty value" : s.length() + " characters"));
        for (int i = 0; i < s.length(); i++)
            if (Character.isISOControl(s.charAt(i)))
                throw new AprException("BAD_OPTION", AprException.USAGE, field + ": expected printable text, got a control"
                        + String.format(" character U+%04X at %d", (int) s.charAt(i), i));
        return s;
    }

    private static String checkFamily(String a) {
        if (!FAMILIES.containsKey(a))
            throw AprException.badInput("UNKNOWN_ARCHITECTURE", "--architecture: expected one of " + FAMILIES.keySet().stream().sorted().toList()
                    + ", got '" + a + "'");
        return a;
    }

    private static String checkHfArchitecture(String c) {
        for (String[] v : FAMILIES.values()) if (v[0].equals(c)) return c;
        throw AprException.badInput("UNKNOWN_ARCHITECTURE", "--hf-architecture: expected LlamaForCausalLM or Qwen2ForCausalLM,"
                + " got '" + c + "'");
    }

    private static String checkHfModelType(String t) {
        for (String[] v : FAMILIES.values()) if (v[1].equals(t)) return t;
        throw AprException.badInput("UNKNOWN_ARCHITECTURE", "--hf-model-type: expected llama or qwen2, got '" + t + "'");
    }

    /** architecture, hf_architecture and hf_model_type, where present, must name one family. */
    private static void checkArchitectureAgrees(Map<String, Object> md, Path in) {
        if (!(md.get("architecture") instanceof String a) || !FAMILIES.containsKey(a)) return;
        String[] hf = FAMILIES.get(a);
        if (md.get("hf_architecture") instanceof String c && !c.equals(hf[0]))
            throw AprException.badInput("ARCHITECTURE_MISMATCH", in + ": hf_architecture: expected " + hf[0]
                    + " for architecture '" + a + "', got '" + c + "' (set both --architecture and --hf-architecture)");
        if (md.get("hf_model_type") instanceof String t && !t.equals(hf[1]))
            throw AprException.badInput("ARCHITECTURE_MISMATCH", in + ": hf_model_type: expected " + hf[1]
                    + " for architecture '" + a + "', got '" + t + "' (set both --architecture and --hf-model-type)");
    }

    private static int intOr(Object v, int dflt) { return v instanceof Number n ? n.intValue() : dflt; }

    // ---- reporting ---------------------------------------------------------------------------

    /** One line per changed key, long values summarised (a vocabulary is not printed). */
    private static List<String> describeChanges(Map<String, Object> before, Map<String, Object> after, int flagsBefore, int flagsAfter) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Object> e : after.entrySet()) {
            Object old = before.get(e.getKey());
            if (before.containsKey(e.getKey()) && Objects.equals(normalise(old), normalise(e.getValue()))) continue;
            if (e.getKey().equals("total_size") || e.getKey().equals("param_count")) continue;
            out.add(e.getKey() + ": " + summary(old) + " -> " + summary(e.getValue()));
        }
        for (String k : before.keySet()) if (!after.containsKey(k)) out.add(k + ": " + summary(before.get(k)) + " -> (removed)");
        if (flagsBefore != flagsAfter) out.add("flags: " + AprFlags.names(flagsBefore) + " -> " + AprFlags.names(flagsAfter));
        return out;
    }

    /** Numbers compare by value (a parsed 896 may be an Integer or a Long). */
    private static Object normalise(Object v) {
        return v instanceof Number n && !(v instanceof Double) && !(v instanceof Float) ? n.longValue() : v;
    }

    private static String summary(Object v) {
        if (v == null) return "null";
        if (v instanceof List<?> l) return "[" + l.size() + " items]";
        if (v instanceof String s) {
            int bytes = s.getBytes(StandardCharsets.UTF_8).length;
            return bytes <= 80 && s.indexOf('\n') < 0 ? s : "(" + bytes + " bytes of text)";
        }
        if (v instanceof Map<?, ?> m) return m.size() <= 6 ? m.toString() : "{" + m.size() + " keys}";
        return String.valueOf(v);
    }
}
