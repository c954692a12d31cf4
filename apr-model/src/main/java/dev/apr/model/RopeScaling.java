package dev.apr.model;

import dev.apr.format.AprException;
import dev.apr.format.Json;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Llama 3.1/3.2 RoPE scaling ({@code "rope_type": "llama3"}): the frequencies whose wavelength is
 * longer than {@code originalMaxPositions / lowFreqFactor} are divided by {@code factor}, those
 * shorter than {@code originalMaxPositions / highFreqFactor} are kept, and the band between is
 * interpolated. This is Transformers' {@code _compute_llama3_parameters}; llama.cpp gets the same
 * frequencies from a {@code rope_freqs.weight} tensor of per-pair divisors, as its converter
 * writes it ({@link #ggufFactors}). The other scaling types (linear, dynamic, yarn, longrope) are
 * refused by name.
 */
public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {

    public RopeScaling {
        if (!(factor >= 1) || !Double.isFinite(factor)) throw bad("factor", ">= 1", factor);
        if (!(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || !Double.isFinite(highFreqFactor))
            throw bad("low_freq_factor/high_freq_factor", "0 < low < high", lowFreqFactor + "/" + highFreqFactor);
        if (originalMaxPositions <= 0) throw bad("original_max_position_embeddings", "a positive integer", originalMaxPositions);
    }

    private static AprException bad(String field, String expected, Object actual) {
        return AprException.badInput("BAD_CONFIG", "rope_scaling: " + field + ": expected " + expected + ", got " + actual);
    }

    /** The unscaled RoPE inverse frequencies theta^(-2i/d), i < d/2, in double (HF and llama.cpp round them to float). */
    public static double[] baseInvFreq(double theta, int headDim) {
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) f[i] = Math.pow(theta, -2.0 * i / headDim);
        return f;
    }

    /** The scaled inverse frequencies, Transformers' _compute_llama3_parameters step by step. */
    public double[] invFreq(double theta, int headDim) {
        double[] f = baseInvFreq(theta, headDim);
        double lowWavelen = originalMaxPositions / lowFreqFactor, highWavelen = originalMaxPositions / highFreqFactor;
        for (int i = 0; i < f.length; i++) {
            double wavelen = 2 * Math.PI / f[i];
            if (wavelen > lowWavelen) f[i] = f[i] / factor;                 // long wavelengths: slowed down
            else if (wavelen >= highWavelen) {                               // the band between: interpolated
                double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                f[i] = (1 - smooth) * f[i] / factor + smooth * f[i];
            }
        }
        return f;
    }

    /**
     * {@code rope_freqs.weight} as llama.cpp's converter writes it: per rotated pair, the divisor
     * of the base frequency (1 for short wavelengths, {@code factor} for long ones).
     */
    public float[] ggufFactors(double theta, int headDim) {
        double[] base = baseInvFreq(theta, headDim), scaled = invFreq(theta, headDim);
        float[] out = new float[base.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) (base[i] / scaled[i]);
        return out;
    }

    /** Llama 3.1's and Llama 3.2's published parameters: the ones a GGUF's factors are matched against. */
    static final List<RopeScaling> KNOWN = List.of(new RopeScaling(8, 1, 4, 8192), new RopeScaling(32, 1, 4, 8192));

    /**
     * The scaling whose {@link #ggufFactors} equal a GGUF's {@code rope_freqs.weight} (within float
     * rounding). GGUF keeps only the divisors, so they are matched against the published Llama 3.1
     * and 3.2 parameters; anything else is refused rather than guessed.
     */
    public static RopeScaling fromGgufFactors(float[] factors, double theta, int headDim, String source) {
        if (factors.length != headDim / 2)
            throw AprException.badInput("GGUF_UNSUPPORTED_ROPE", source + ": tensor 'rope_freqs.weight': expected " + headDim / 2
                    + " values (head_dim/2), got " + factors.length);
        for (RopeScaling k : KNOWN) {
            float[] want = k.ggufFactors(theta, headDim);
            boolean same = true;
            for (int i = 0; i < want.length && same; i++) same = Math.abs(want[i] - factors[i]) <= 1e-5f * Math.abs(want[i]);
            if (same) return k;
        }
        throw AprException.badInput("GGUF_UNSUPPORTED_ROPE", source + ": tensor 'rope_freqs.weight': expected the llama3 RoPE"
                + " divisors of Llama 3.1 (factor 8) or 3.2 (factor 32) (low 1, high 4, original context 8192), got "
                + java.util.Arrays.toString(java.util.Arrays.copyOf(factors, Math.min(8, factors.length))) + "...");
    }

    // ---- config.json ---------------------------------------------------------------------------

    /**
     * From config.json's {@code rope_scaling} (Transformers 4) or {@code rope_parameters}
     * (Transformers 5) object: null for none or "default", a RopeScaling for "llama3" with all four
     * parameters, a refusal naming the field for any other type or a missing parameter.
     */
    public static RopeScaling fromHf(Object value, String source, String field) {
        if (value == null) return null;
        if (!(value instanceof Map<?, ?> m))
            throw unsupported(source, field, "an object or null", Json.compactString(value));
        Object type = m.get("rope_type") != null ? m.get("rope_type") : m.get("type");
        if (type == null || "default".equals(type)) return null;
        if (!"llama3".equals(type))
            throw unsupported(source, field + ".rope_type", "\"default\" or \"llama3\" (the RoPE scalings apr computes)", Json.compactString(type));
        return new RopeScaling(number(m, "factor", source, field), number(m, "low_freq_factor", source, field),
                number(m, "high_freq_factor", source, field), (int) number(m, "original_max_position_embeddings", source, field));
    }

    private static double number(Map<?, ?> m, String key, String source, String field) {
        if (m.get(key) instanceof Number n) return n.doubleValue();
        throw AprException.badInput("BAD_CONFIG", source + ": " + field + "." + key + ": expected a number, got "
                + (m.get(key) == null ? "nothing" : Json.compactString(m.get(key))));
    }

    private static AprException unsupported(String source, String field, String expected, String actual) {
        return AprException.badInput("UNSUPPORTED_CONFIG", source + ": " + field + ": expected " + expected + ", got " + actual);
    }

    /** config.json's {@code rope_scaling} object, as Llama 3.2's own config.json writes it. */
    public Map<String, Object> toHf() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("factor", factor);
        m.put("high_freq_factor", highFreqFactor);
        m.put("low_freq_factor", lowFreqFactor);
        m.put("original_max_position_embeddings", originalMaxPositions);
        m.put("rope_type", "llama3");
        return m;
    }
}
