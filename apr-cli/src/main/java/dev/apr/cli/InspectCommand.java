package dev.apr.cli;

import dev.apr.format.AprException;
import dev.apr.format.Json;
import dev.apr.model.io.ModelInspector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show format, flags, checksums, architecture and tensors of an APR, SafeTensors (file or directory) or GGUF file.")
public final class InspectCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "APR, GGUF or SafeTensors file, or an HF model directory")
    Path file;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--tensors", description = "list every tensor (name, dtype, shape, bytes)")
    boolean tensors;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ModelInspector.Report report = ModelInspector.inspect(file, tensors);
        Map<String, Object> r = report.fields();
        if (json) out.println(Json.compactString(r));
        else printText(out, r);
        out.flush();
        if (!report.checksumsValid())
            throw AprException.badInput("APR_BAD_CHECKSUM", file + ": footer CRC-32: expected the CRC-32 of every preceding byte, got another value (file corrupt)");
        return 0;
    }

    @SuppressWarnings("unchecked")
    private static void printText(PrintWriter out, Map<String, Object> r) {
        out.printf("%-14s%s%n", "file:", r.get("file"));
        out.printf("%-14s%s%s%n", "format:", r.get("format"), r.containsKey("version") ? " " + r.get("version") : "");
        if (r.get("files") instanceof List<?> files) out.printf("%-14s%s%n", "files:", String.join(", ", (List<String>) files));
        if (r.get("flags") instanceof List<?> flags)
            out.printf("%-14s%s%n", "flags:", flags.isEmpty() ? "(none)" : String.join(" ", (List<String>) flags));
        if (r.get("checksums") instanceof Map<?, ?> c)
            out.printf("%-14sheader %s, footer %s%n", "checksums:", c.get("header"), c.get("footer"));
        Map<String, Object> arch = (Map<String, Object>) r.get("architecture");
        out.printf("%-14s%s%s%n", "architecture:", arch.get("family"), arch.containsKey("hf_architecture") ? " (" + arch.get("hf_architecture") + ")" : "");
        for (Map.Entry<String, Object> e : arch.entrySet())
            if (!e.getKey().equals("family") && !e.getKey().equals("hf_architecture")) out.printf("  %s: %s%n", e.getKey(), e.getValue());
        out.printf("%-14s%d%n", "parameters:", r.get("parameters"));
        out.printf("%-14s%d (%d bytes)%n", "tensors:", r.get("tensor_count"), r.get("tensor_bytes"));
        out.println("metadata:");
        for (Map.Entry<String, Object> e : ((Map<String, Object>) r.get("metadata")).entrySet())
            out.printf("  %s: %s%n", e.getKey(), e.getValue() instanceof Map || e.getValue() instanceof List
                    ? Json.compactString(e.getValue()) : e.getValue());
        if (r.get("tensors") instanceof List<?> rows) {
            int w = 4;
            for (Object o : rows) w = Math.max(w, ((Map<String, Object>) o).get("name").toString().length());
            out.printf("%-" + w + "s  %-6s  %-20s  %s%n", "NAME", "DTYPE", "SHAPE", "BYTES");
            for (Object o : rows) {
                Map<String, Object> t = (Map<String, Object>) o;
                out.printf("%-" + w + "s  %-6s  %-20s  %d%n", t.get("name"), t.get("dtype"), Arrays.toString((long[]) t.get("shape")), t.get("bytes"));
            }
        }
    }
}
