package dev.apr.hub.publish;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.ModelFile;
import dev.apr.format.Tensor;
import dev.apr.model.ModelConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Local validation of a staging directory before any network I/O (specs/publish.md): every model
 * file parses with apr's readers, config.json agrees with the SafeTensors shapes, the GGUF passes
 * llama.cpp's loader rules, JSON companions parse, the README front matter passes the card rules.
 * Collects every problem instead of stopping at the first.
 */
public final class StagingValidator {
    private StagingValidator() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<DType> TRANSFORMERS_DTYPES = Set.of(DType.F32, DType.F16, DType.BF16);

    /** Problems of the files in {@code files} (name -> path); the APR metadata, when an .apr was read, goes to {@code aprMetadata}. */
    static void validate(Map<String, Path> files, List<String> p, Map<String, Object> aprMetadata) {
        Map<String, Object> config = null;
        for (var e : files.entrySet()) {
            String name = e.getKey();
            Path f = e.getValue();
            if (name.endsWith(".json")) {
                Object parsed = parseJson(f, name, p);
                if (name.equals("config.json") && parsed instanceof Map<?, ?> m) {
                    @SuppressWarnings("unchecked") Map<String, Object> cm = (Map<String, Object>) m;
                    config = cm;
                } else if (parsed != null && !(parsed instanceof Map)) p.add(name + ": expected a JSON object");
            } else if (name.equals("merges.txt") || name.equals("chat_template.jinja") || name.startsWith("LICENSE")) {
                utf8(f, name, p);
            } else if (name.equals("README.md")) {
                String text = utf8(f, name, p);
                if (text != null) p.addAll(CardRules.check(text, name));
            }
        }
        ModelConfig cfg = null;
        if (config != null) {
            try {
                cfg = ModelConfig.fromHfConfig(config, "config.json");
            } catch (AprException ex) {
                p.add(ex.getMessage());
            }
        }
        for (var e : files.entrySet()) {
            String name = e.getKey();
            if (!(name.endsWith(".apr") || name.endsWith(".safetensors") || name.endsWith(".gguf"))) continue;
            try (ModelFile mf = Readers.open(e.getValue())) {
                if (name.endsWith(".apr")) checkApr(mf, name, p, aprMetadata);
                else if (name.endsWith(".safetensors")) checkSafetensors(mf, name, cfg, config != null, p);
                else GgufRules.check(mf, name, p);
            } catch (AprException ex) {
                p.add(name + ": " + ex.getMessage());
            }
        }
    }

    private static void checkApr(ModelFile apr, String name, List<String> p, Map<String, Object> aprMetadata) {
        if (apr.tensors().isEmpty()) p.add(name + ": no tensors");
        try {
            ModelConfig c = ModelConfig.fromAprMetadata(apr.metadata(), name);
            Map<String, long[]> want = c.expectedTensors();
            for (var t : want.entrySet()) {
                Tensor have = apr.tensor(t.getKey());
                if (have == null) p.add(name + ": tensor '" + t.getKey() + "' missing");
                else if (!Arrays.equals(have.shape(), t.getValue()))
                    p.add(name + ": tensor '" + t.getKey() + "': expected shape " + Arrays.toString(t.getValue()) + ", got " + have.shapeString());
            }
        } catch (AprException ex) {
            p.add(ex.getMessage());
        }
        if (aprMetadata != null && aprMetadata.isEmpty()) aprMetadata.putAll(apr.metadata());
    }

    /** config.json agrees with the SafeTensors: exactly the tensors Transformers' class expects, same shapes, float dtypes. */
    static void checkSafetensors(ModelFile st, String name, ModelConfig cfg, boolean haveConfig, List<String> p) {
        if (!haveConfig) {
            p.add(name + ": config.json is missing; Transformers cannot load SafeTensors without it");
            return;
        }
        if (cfg == null) return;   // config.json's own problem is already listed
        Map<String, long[]> want = cfg.expectedTensors();
        TreeSet<String> extra = new TreeSet<>();
        for (Tensor t : st.tensors()) {
            long[] shape = want.get(t.name());
            if (shape == null) { extra.add(t.name()); continue; }
            if (!Arrays.equals(shape, t.shape()))
                p.add(name + ": tensor '" + t.name() + "': config.json implies shape " + Arrays.toString(shape) + ", the file has " + t.shapeString());
            if (!TRANSFORMERS_DTYPES.contains(t.dtype()))
                p.add(name + ": tensor '" + t.name() + "': dtype " + t.dtype() + " cannot be loaded by Transformers (F32, F16 or BF16)");
        }
        for (String w : want.keySet()) if (st.tensor(w) == null) p.add(name + ": tensor '" + w + "' expected by config.json (" + cfg.hfArchitecture() + ") is missing");
        if (!extra.isEmpty()) p.add(name + ": tensors not in " + cfg.hfArchitecture() + ": " + extra);
    }

    private static Object parseJson(Path f, String name, List<String> p) {
        try {
            long size = Files.size(f);
            if (size > 512L << 20) { p.add(name + ": " + size + " bytes is far too large for a JSON companion file"); return null; }
            return JSON.readValue(f.toFile(), Object.class);
        } catch (IOException e) {
            p.add(name + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
            return null;
        }
    }

    private static String utf8(Path f, String name, List<String> p) {
        try {
            long size = Files.size(f);
            if (size > 64L << 20) { p.add(name + ": " + size + " bytes is far too large for a text companion file"); return null; }
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(Files.readAllBytes(f))).toString();
        } catch (CharacterCodingException e) {
            p.add(name + ": not valid UTF-8");
        } catch (IOException e) {
            p.add(name + ": cannot read: " + e.getMessage());
        }
        return null;
    }
}
