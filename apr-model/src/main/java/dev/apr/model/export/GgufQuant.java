package dev.apr.model.export;

import dev.apr.format.AprException;

import java.util.Locale;

/** The {@code --quantize} choices of a GGUF export and their {@code general.file_type} (spec §2). */
public enum GgufQuant {
    F32(0), F16(1), Q8_0(7),
    /** llama.cpp's Q4_K_M recipe (spec §3.7), fallbacks included; "int4" on the command line. */
    Q4_K_M(15);

    /** The LlamaFileType value written as {@code general.file_type}. */
    public final int fileType;

    GgufQuant(int fileType) { this.fileType = fileType; }

    public static GgufQuant parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32" -> F32;
            case "f16" -> F16;
            case "q8_0", "q8", "int8" -> Q8_0;
            case "int4", "q4_k_m", "q4_k", "q4km" -> Q4_K_M;
            default -> throw new AprException("BAD_QUANTIZE", AprException.USAGE,
                    "--quantize: expected f32, f16, q8_0 or int4 (= q4_k_m), got '" + s + "'");
        };
    }
}
