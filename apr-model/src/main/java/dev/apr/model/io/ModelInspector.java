package dev.apr.model.io;

import dev.apr.format.AprException;
import dev.apr.format.ModelFile;
import dev.apr.format.ModelFiles;
import dev.apr.format.Tensor;
import dev.apr.format.apr.AprFile;
import dev.apr.format.gguf.GgufFile;
import dev.apr.format.safetensors.SafeTensorsFile;
import dev.apr.model.ModelConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code apr inspect} reports about any checkpoint, as an ordered map of plain values (the
 * CLI prints it as text or JSON): format and version, flags, checksums, architecture and dims,
 * parameter count, metadata with long values shortened, and the tensor table.
 */
public final class ModelInspector {
    private ModelInspector() {}

    /** The report, plus whether the file's checksums hold (false means: print, then fail). */
    public record Report(Map<String, Object> fields, boolean checksumsValid) {}

    public static Report inspect(Path path, boolean withTensors) {
        try (ModelFile f = open(path)) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("file", path.toString());
            r.put("format", f.format());
            boolean valid = true;
            if (f instanceof AprFile a) {
                r.put("version", a.version());
                r.put("flags", a.flags());
                valid = a.footerChecksumValid();
                r.put("checksums", Map.of("header", "valid", "footer", valid ? "valid" : "INVALID"));
                r.put("file_size", a.fileSize());
            } else if (f instanceof SafeTensorsFile s) {
                r.put("files", s.files().stream().map(p -> p.getFileName().toString()).toList());
            } else if (f instanceof GgufFile g) {
                r.put("version", g.version());
                r.put("alignment", g.alignment());
            }
            r.put("architecture", architecture(f));
            long params = 0, bytes = 0;
            for (Tensor t : f.tensors()) {
                params += t.elementCount();
                bytes += t.byteSize();
            }
            r.put("parameters", params);
            r.put("tensor_count", f.tensors().size());
            r.put("tensor_bytes", bytes);
            Map<String, Object> md = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : f.metadata().entrySet()) md.put(e.getKey(), shorten(e.getValue(), 0));
            r.put("metadata", md);
            if (withTensors) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (Tensor t : f.tensors()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("name", t.name());
                    row.put("dtype", t.dtype().name());
                    row.put("shape", t.shape());
                    row.put("bytes", t.byteSize());
                    rows.add(row);
                }
                r.put("tensors", rows);
            }
            return new Report(r, valid);
        }
    }

    /** APR files are opened without the footer check, so inspect can report it rather than stop. */
    private static ModelFile open(Path path) {
        if (Files.isRegularFile(path)) {
            byte[] head = new byte[4];
            try (InputStream in = Files.newInputStream(path)) {
                if (in.readNBytes(head, 0, 4) == 4 && head[0] == 'A' && head[1] == 'P' && head[2] == 'R' && head[3] == 0)
                    return AprFile.open(path, false);
            } catch (IOException e) {
                throw new AprException("IO_ERROR", AprException.BAD_INPUT, path + ": cannot read: " + e, e);
            }
        }
        return ModelFiles.open(path);
    }

    /** Architecture and dims from APR metadata or config.json; GGUF keys shown as stored. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> architecture(ModelFile f) {
        Map<String, Object> a = new LinkedHashMap<>();
        try {
            ModelConfig c = null;
            if (f instanceof AprFile) c = ModelConfig.fromAprMetadata(f.metadata(), f.path().toString());
            else if (f.metadata().get("config") instanceof Map<?, ?> cfg)
                c = ModelConfig.fromHfConfig((Map<String, Object>) cfg, f.path() + "/config.json");
            if (c != null) {
                a.put("family", c.family());
                a.put("hf_architecture", c.hfArchitecture());
                a.put("hidden_size", c.hiddenSize());
                a.put("num_layers", c.numLayers());
                a.put("num_heads", c.numHeads());
                a.put("num_kv_heads", c.numKvHeads());
                a.put("head_dim", c.headDim());
                a.put("intermediate_size", c.intermediateSize());
                a.put("vocab_size", c.vocabSize());
                a.put("max_position_embeddings", c.maxPositions());
                a.put("rope_theta", c.ropeTheta());
                if (c.ropeScaling() != null) a.put("rope_scaling", c.ropeScaling().toHf());
                a.put("rms_norm_eps", c.rmsNormEps());
                a.put("tied_embeddings", c.tieWordEmbeddings());
                a.put("config_parameters", c.parameterCount());
                return a;
            }
            Object ga = f.metadata().get("general.architecture");
            if (ga instanceof String arch) {
                a.put("family", arch);
                for (Map.Entry<String, Object> e : f.metadata().entrySet())
                    if (e.getKey().startsWith(arch + ".")) a.put(e.getKey().substring(arch.length() + 1), shorten(e.getValue(), 1));
                return a;
            }
            a.put("family", "unknown");
        } catch (AprException e) {
            a.put("family", "unknown");
            a.put("problem", e.getMessage());
        }
        return a;
    }

    /** Arrays as "[N items]", long strings cut to 120 characters, nested objects shortened too. */
    static Object shorten(Object v, int depth) {
        if (v instanceof List<?> l) return l.size() <= 8 && depth < 2 && l.stream().allMatch(x -> x instanceof Number || x instanceof Boolean
                || (x instanceof String s && s.length() <= 40)) ? l : "[" + l.size() + " items]";
        if (v instanceof long[] l) return "[" + l.length + " items]";
        if (v instanceof String s) return s.length() <= 120 ? s : s.substring(0, 117).replace("\n", "\\n") + "... (" + s.length() + " chars)";
        if (v instanceof Map<?, ?> m) {
            if (depth >= 2) return "{" + m.size() + " keys}";
            Map<String, Object> out = new LinkedHashMap<>();
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (i++ == 40) { out.put("...", (m.size() - 40) + " more keys"); break; }
                out.put(String.valueOf(e.getKey()), shorten(e.getValue(), depth + 1));
            }
            return out;
        }
        return v;
    }
}
