package dev.apr.format;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes JSON exactly as Python's {@code json.dumps(obj, indent=2, sort_keys=True)} does, which
 * is how Transformers' {@code save_pretrained} writes {@code config.json} and
 * {@code generation_config.json}: 2-space indent, {@code ": "} and {@code ","} separators, keys
 * sorted, non-ASCII escaped as {@code \\uXXXX}, floats in Python's {@code repr} form
 * ({@code 1000000.0}, {@code 1e-06}, {@code 0.02}) and integers as integers.
 *
 * <p>The float/int distinction matters: transformers v5 configs are strict dataclasses
 * (specs/gguf-safetensors.md §7.1). Values are String, Boolean, null, Integer/Long/Short/Byte
 * (JSON integers), Double/Float (JSON floats), List and Map.
 */
public final class PyJson {
    private PyJson() {}

    /** The JSON text with a final newline, as Transformers writes it. */
    public static String dumps(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.append('\n').toString();
    }

    private static void write(StringBuilder sb, Object v, int indent) {
        switch (v) {
            case null -> sb.append("null");
            case String s -> string(sb, s, true);
            case Boolean b -> sb.append(b ? "true" : "false");
            case Integer i -> sb.append(i);
            case Long l -> sb.append(l);
            case Short s -> sb.append(s);
            case Byte b -> sb.append(b);
            case Double d -> sb.append(pyFloat(d));
            case Float f -> sb.append(pyFloat(f.doubleValue()));
            case List<?> l -> {
                if (l.isEmpty()) { sb.append("[]"); return; }
                sb.append('[');
                for (int i = 0; i < l.size(); i++) {
                    sb.append(i == 0 ? "\n" : ",\n");
                    pad(sb, indent + 2);
                    write(sb, l.get(i), indent + 2);
                }
                sb.append('\n');
                pad(sb, indent);
                sb.append(']');
            }
            case Map<?, ?> m -> {
                if (m.isEmpty()) { sb.append("{}"); return; }
                TreeMap<String, Object> sorted = new TreeMap<>(); // Python sorts str keys by code point
                for (var e : m.entrySet()) sorted.put(String.valueOf(e.getKey()), e.getValue());
                sb.append('{');
                boolean first = true;
                for (var e : sorted.entrySet()) {
                    sb.append(first ? "\n" : ",\n");
                    first = false;
                    pad(sb, indent + 2);
                    string(sb, e.getKey(), true);
                    sb.append(": ");
                    write(sb, e.getValue(), indent + 2);
                }
                sb.append('\n');
                pad(sb, indent);
                sb.append('}');
            }
            default -> throw new IllegalArgumentException("PyJson: cannot write a " + v.getClass().getName());
        }
    }

    private static void pad(StringBuilder sb, int n) { sb.repeat(' ', n); }

    /**
     * A JSON string as Python's json module writes it: quote, backslash and control characters
     * escaped, and with {@code ensureAscii} (json.dumps' default) every non-ASCII char as {@code \\uXXXX}.
     */
    public static void string(StringBuilder sb, String s, boolean ensureAscii) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    /**
     * Python's {@code repr(float)}: the shortest digits that round-trip (Java's Double.toString
     * gives the same digits since JDK 19), printed positionally when the decimal exponent is in
     * [-4, 16), else as {@code d.ddde±XX}.
     */
    public static String pyFloat(double d) {
        if (!Double.isFinite(d))
            throw AprException.badInput("BAD_FLOAT", "config value: expected a finite number, got " + d);
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        String sign = d < 0 ? "-" : "";
        BigDecimal b = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        if (b.precision() == 2) {
            // Java prints at least two digits ("4.9E-324") where one may already round-trip ("5e-324")
            BigDecimal one = b.round(new java.math.MathContext(1, java.math.RoundingMode.HALF_EVEN));
            if (one.doubleValue() == Math.abs(d)) b = one.stripTrailingZeros();
        }
        String digits = b.unscaledValue().toString();
        int exp = digits.length() - 1 - b.scale(); // value = d.ddd × 10^exp
        if (exp >= -4 && exp < 16) {
            if (exp < 0) return sign + "0." + "0".repeat(-exp - 1) + digits;
            if (digits.length() <= exp + 1) return sign + digits + "0".repeat(exp + 1 - digits.length()) + ".0";
            return sign + digits.substring(0, exp + 1) + "." + digits.substring(exp + 1);
        }
        String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
}
