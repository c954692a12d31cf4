package dev.apr.cli;

import dev.apr.format.AprException;
import dev.apr.format.Json;
import dev.apr.format.ModelFile;
import dev.apr.format.ModelFiles;
import dev.apr.format.io.Progress;
import dev.apr.model.export.GgufExporter;
import dev.apr.model.export.GgufPlan;
import dev.apr.model.export.GgufQuant;
import dev.apr.model.export.SafeTensorsExporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code apr export MODEL.apr --format gguf [--quantize f32|f16|q8_0|int4] -o OUT} and
 * {@code apr export MODEL.apr --format safetensors [--dtype keep|f32|bf16|f16] -o DIR/NAME.safetensors}
 * (which also writes config.json, generation_config.json and the tokenizer files beside it): one
 * switch on the format, each branch calling one exporter class of {@code dev.apr.model.export}.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export an APR model to SafeTensors (+ config.json) or GGUF (f32/f16/q8_0/int4).")
public final class ExportCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The model to export (an .apr file).")
    Path model;

    @Option(names = "--format", required = true, paramLabel = "FORMAT", description = "gguf or safetensors.")
    String format;

    @Option(names = "--quantize", paramLabel = "Q",
            description = "GGUF tensor types: f32, f16 (default), q8_0, or int4 (= llama.cpp's Q4_K_M recipe).")
    String quantize;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "The file to write.")
    Path output;

    @Option(names = {"-f", "--force"}, description = "Overwrite OUT if it exists.")
    boolean force;

    @Option(names = "--json", description = "Print the result as JSON on stdout.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing on success.")
    boolean quiet;

    @Option(names = "--dtype", paramLabel = "D",
            description = "SafeTensors tensor dtype: keep (default; Q4_K/Q6_K are dequantized to f32), f32, bf16 or f16.")
    String dtype;

    @Override public Integer call() {
        if (Files.exists(output) && !force)
            throw new AprException("OUTPUT_EXISTS", AprException.USAGE, output + ": exists; pass -f to overwrite");
        return switch (format.toLowerCase(Locale.ROOT)) {
            case "gguf" -> exportGguf();
            case "safetensors" -> exportSafeTensors();
            default -> throw new AprException("BAD_FORMAT", AprException.USAGE,
                    "--format: expected gguf or safetensors, got '" + format + "'");
        };
    }

    /** The conversion's progress bar on stderr (as the hub commands draw theirs), unless --quiet or --json. */
    private Progress progress() {
        return quiet || json ? Progress.NONE : Progress.to(System.err);
    }

    private int exportGguf() {
        if (dtype != null)
            throw new AprException("BAD_OPTION", AprException.USAGE, "--dtype: applies to --format safetensors; for"
                    + " --format gguf use --quantize f32|f16|q8_0|int4");
        GgufQuant q = GgufQuant.parse(quantize == null ? "f16" : quantize);
        GgufExporter.Report r;
        try (ModelFile src = ModelFiles.open(model)) {
            r = GgufExporter.export(src, output, q, progress());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            StringBuilder sb = new StringBuilder("{\"output\":").append(quote(r.out().toString()))
                    .append(",\"format\":\"gguf\",\"quantize\":").append(quote(q.name().toLowerCase(Locale.ROOT)))
                    .append(",\"bytes\":").append(r.bytes())
                    .append(",\"seconds\":").append(String.format(Locale.ROOT, "%.3f", r.seconds()))
                    .append(",\"tensors\":[");
            for (int i = 0; i < r.plan().size(); i++) {
                GgufPlan.Entry e = r.plan().get(i);
                sb.append(i > 0 ? "," : "").append("{\"name\":").append(quote(e.ggufName()))
                        .append(",\"type\":").append(quote(e.type().name()));
                if (e.fellBack()) sb.append(",\"wanted\":").append(quote(e.wanted().name())).append(",\"reason\":").append(quote(e.reason()));
                sb.append('}');
            }
            sb.append("],\"notes\":[");
            for (int i = 0; i < r.notes().size(); i++) sb.append(i > 0 ? "," : "").append(quote(r.notes().get(i)));
            out.println(sb.append("]}"));
        } else if (!quiet) {
            out.printf(Locale.ROOT, "wrote %s: GGUF %s, %d tensors, %,d bytes in %.1f s%n",
                    r.out(), q.name().toLowerCase(Locale.ROOT), r.plan().size(), r.bytes(), r.seconds());
            for (String n : r.notes()) out.println("  " + n);
        }
        out.flush();
        return 0;
    }

    private int exportSafeTensors() {
        if (quantize != null)
            throw new AprException("BAD_OPTION", AprException.USAGE, "--quantize: applies to --format gguf; for"
                    + " --format safetensors use --dtype keep|f32|bf16|f16");
        SafeTensorsExporter.Target target = SafeTensorsExporter.Target.parse(dtype == null ? "keep" : dtype);
        SafeTensorsExporter.Result r;
        try (ModelFile src = ModelFiles.open(model)) {
            r = SafeTensorsExporter.export(src, output, target, force, progress());
        }
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        for (String w : r.warnings()) err.println("apr export: warning: " + w);
        err.flush();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("output", r.safetensors().toString());
            m.put("format", "safetensors");
            m.put("files", r.files().stream().map(Path::toString).toList());
            m.put("tensors", r.tensorCount());
            m.put("bytes", r.bytes());
            m.put("torch_dtype", r.torchDtype());
            m.put("tokenizer_written", r.tokenizerWritten());
            m.put("warnings", r.warnings());
            out.println(Json.compactString(m));
        } else if (!quiet) {
            out.printf(Locale.ROOT, "wrote %s: SafeTensors, %d tensors, %,d bytes, torch_dtype %s%n",
                    r.safetensors(), r.tensorCount(), r.bytes(), r.torchDtype());
            for (Path p : r.files().subList(1, r.files().size())) out.println("  + " + p.getFileName());
        }
        out.flush();
        return 0;
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
