package dev.apr.cli;

import dev.apr.format.AprException;
import dev.apr.format.Json;
import dev.apr.format.io.Progress;
import dev.apr.model.io.GgufImporter;
import dev.apr.model.io.HfImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Import a Hugging Face checkpoint directory (config.json, *.safetensors, tokenizer.json) or a GGUF file into an APR v2 file.")
public final class ImportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INPUT", description = "HF model directory, or a .gguf file")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.apr", description = "APR file to write")
    Path output;

    @Option(names = "--dtype", defaultValue = "keep", paramLabel = "keep|f32|bf16|f16",
            description = "tensor dtype in the APR file (default: ${DEFAULT-VALUE}, the source dtype)")
    String dtype;

    @Option(names = "--json", description = "print the result as one JSON object")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "print nothing on success")
    boolean quiet;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        HfImporter.TargetDType target = HfImporter.TargetDType.parse(dtype);
        if (Files.isRegularFile(input) && isGguf(input)) return importGguf(out, target);
        // a progress line on stderr, only for a person watching a terminal
        boolean bar = !quiet && System.console() != null;
        HfImporter.Result r = HfImporter.importDir(input, output, target, note -> {
            if (!quiet) err.println("apr import: note: " + note);
        }, bar ? Progress.to(System.err) : Progress.NONE);
        err.flush();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("output", r.output().toString());
            m.put("architecture", r.config().family());
            m.put("hf_architecture", r.config().hfArchitecture());
            m.put("hidden_size", r.config().hiddenSize());
            m.put("num_layers", r.config().numLayers());
            m.put("vocab_size", r.config().vocabSize());
            m.put("tensors", r.tensorCount());
            m.put("parameters", r.parameterCount());
            m.put("file_bytes", r.fileBytes());
            m.put("has_vocab", r.hasVocab());
            m.put("notes", r.notes());
            out.println(Json.compactString(m));
        } else if (!quiet) {
            out.printf("imported %s -> %s%n", input, r.output());
            out.printf("  %s (%s), hidden %d, %d layers, vocab %d, %d tensors, %d parameters, %d bytes%s%n",
                    r.config().family(), r.config().hfArchitecture(), r.config().hiddenSize(), r.config().numLayers(),
                    r.config().vocabSize(), r.tensorCount(), r.parameterCount(), r.fileBytes(), r.hasVocab() ? ", HAS_VOCAB" : "");
        }
        out.flush();
        return 0;
    }

    private static boolean isGguf(Path p) {
        if (p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) return true;
        try (InputStream in = Files.newInputStream(p)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && b[0] == 'G' && b[1] == 'G' && b[2] == 'U' && b[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }

    /** A GGUF (quantized or not) becomes an APR with HF names; Q4_K/Q6_K blocks are kept as they are. */
    private int importGguf(PrintWriter out, HfImporter.TargetDType target) {
        GgufImporter.Result r = GgufImporter.importGguf(input, output, target.dtype());
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("output", r.output().toString());
            m.put("architecture", r.config().family());
            m.put("hidden_size", r.config().hiddenSize());
            m.put("num_layers", r.config().numLayers());
            m.put("vocab_size", r.config().vocabSize());
            m.put("tensors", r.tensorCount());
            m.put("dtypes", r.dtypes().entrySet().stream().collect(java.util.stream.Collectors.toMap(
                    e -> e.getKey().name(), Map.Entry::getValue, (a, b) -> a, java.util.TreeMap::new)));
            m.put("file_bytes", r.fileBytes());
            m.put("notes", r.notes());
            out.println(Json.compactString(m));
        } else if (!quiet) {
            out.println("imported " + input + " -> " + output + " (" + r + ")");
        }
        out.flush();
        return 0;
    }
}
