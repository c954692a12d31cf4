package dev.apr.cli;

import dev.apr.model.export.Stamper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "stamp", mixinStandardHelpOptions = true,
        description = {"Rewrite an APR file's metadata: licence, provenance, architecture names, embedded tokenizer.",
                "Tensor bytes are copied unchanged; both CRCs are recomputed and the output is re-read and checked."})
public final class StampCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN.apr", description = "the APR file to stamp")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.apr", description = "where to write the stamped file")
    Path output;

    @Option(names = {"-f", "--force"}, description = "overwrite OUT.apr when it exists")
    boolean force;

    @Option(names = "--license", paramLabel = "SPDX", description = "the model's licence, an SPDX id (e.g. Apache-2.0)")
    String license;

    @Option(names = "--data-source", paramLabel = "S", description = "where the training data came from")
    String dataSource;

    @Option(names = "--data-license", paramLabel = "SPDX", description = "the training data's licence, an SPDX id")
    String dataLicense;

    @Option(names = "--architecture", paramLabel = "A", description = "family slug: qwen2 or llama")
    String architecture;

    @Option(names = "--hf-architecture", paramLabel = "C", description = "Transformers class: Qwen2ForCausalLM or LlamaForCausalLM")
    String hfArchitecture;

    @Option(names = "--hf-model-type", paramLabel = "T", description = "Transformers model_type: qwen2 or llama")
    String hfModelType;

    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "embed the tokenizer in DIR (tokenizer.json, else vocab.json + merges.txt; tokenizer_config.json when present)")
    Path tokenizerDir;

    @Option(names = "--json", description = "print the result as JSON on stdout")
    boolean json;

    @Override public Integer call() {
        Stamper.Options opts = new Stamper.Options(license, dataSource, dataLicense, architecture,
                hfArchitecture, hfModelType, tokenizerDir);
        Stamper.Result r = Stamper.stamp(input, output, opts, force);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (String w : r.warnings()) err.println("apr stamp: warning: " + w);
        err.flush();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("output", r.output().toString());
            m.put("changed", r.changed());
            m.put("flags", r.flagNames());
            m.put("tensors", r.tensorCount());
            m.put("bytes", r.bytes());
            m.put("warnings", r.warnings());
            out.println(dev.apr.format.Json.compactString(m));
        } else {
            out.println("stamped " + r.output() + " (" + r.bytes() + " bytes, " + r.tensorCount()
                    + " tensors copied byte for byte)");
            for (String c : r.changed()) out.println("  " + c);
            out.println("  flags: " + String.join(" ", r.flagNames()));
        }
        out.flush();
        return 0;
    }
}
