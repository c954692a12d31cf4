package dev.apr.format;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class JsonTest {
    static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    @Test
    void duplicateKeysKeepTheLastValueUnlessStrict() {
        assertEquals(Map.of("a", 2), Json.parseObject(b("{\"a\":1,\"a\":2}"), "x", false));
        AprException e = assertThrows(AprException.class, () -> Json.parseObject(b("{\"a\":1,\"a\":2}"), "h.json", true));
        assertEquals("BAD_JSON", e.code());
        assertTrue(e.getMessage().startsWith("h.json: invalid JSON at byte"), e.getMessage());
        assertTrue(e.getMessage().contains("Duplicate field 'a'"), e.getMessage());
    }

    @Test
    void plainJavaValuesInKeyOrder() {
        Map<String, Object> m = Json.parseObject(b("{\"z\":1,\"a\":[true,null,2.5,\"ü\"],\"big\":12345678901}"), "x", false);
        assertEquals(List.of("z", "a", "big"), List.copyOf(m.keySet()));
        assertEquals(1, m.get("z"));
        assertEquals(java.util.Arrays.asList(true, null, 2.5, "ü"), m.get("a"));
        assertEquals(12345678901L, m.get("big"));
    }

    @Test
    void badUtf8IsRefusedWithItsPosition() {
        byte[] bytes = b("{\"k\":\"abc\"}");
        bytes[7] = (byte) 0xc0; // overlong lead byte
        AprException e = assertThrows(AprException.class, () -> Json.parseObject(bytes, "f.json", false));
        assertEquals("BAD_UTF8", e.code());
        assertEquals("f.json: invalid UTF-8 at byte 7 (0xc0)", e.getMessage());
    }

    @Test
    void trailingContentNanAndDeepNestingAreRefused() {
        assertEquals("BAD_JSON", assertThrows(AprException.class, () -> Json.parse(b("{} {}"), "x", false)).code());
        assertEquals("BAD_JSON", assertThrows(AprException.class, () -> Json.parse(b("[NaN]"), "x", false)).code());
        assertEquals("BAD_JSON", assertThrows(AprException.class, () -> Json.parse(b("[".repeat(5000)), "x", false)).code());
        assertEquals("BAD_JSON", assertThrows(AprException.class, () -> Json.parse(b(""), "x", false)).code());
        AprException e = assertThrows(AprException.class, () -> Json.parseObject(b("[1]"), "x", false));
        assertEquals("x: expected a JSON object, got an array", e.getMessage());
    }

    @Test
    void compactKeepsNonAsciiAndOrder() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("b", "Ġé");
        m.put("a", List.of(1, 2));
        assertEquals("{\"b\":\"Ġé\",\"a\":[1,2]}", Json.compactString(m));
    }

    @Test
    void minifyKeepsOrderAndValues() {
        String pretty = "{\n  \"b\": [1, 2.5, null],\n  \"a\": { \"x\" : \"Ġ y\" }\n}\n";
        assertEquals("{\"b\":[1,2.5,null],\"a\":{\"x\":\"Ġ y\"}}", Json.minify(b(pretty), "t.json"));
        assertEquals("BAD_JSON", assertThrows(AprException.class, () -> Json.minify(b("{\"a\":1} x"), "t.json")).code());
    }
}
