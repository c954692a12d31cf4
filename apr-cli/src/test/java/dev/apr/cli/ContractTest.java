package dev.apr.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * contracts/pretrain-init.yaml stays honest: every rule has an id, a rule text and a test, every
 * named test class exists in some module's src/test/java, and the named method is a JUnit @Test
 * there. The spec's rows must all be present.
 */
class ContractTest {
    static final List<String> SPEC_ROWS = List.of("INIT-001", "INIT-003", "INIT-004", "INIT-005", "INIT-005b", "INIT-005c",
            "INIT-006", "INIT-009", "INIT-010", "ARCH-001", "ARCH-004", "ARCH-007", "ARCH-009", "ARCH-010");

    record Rule(String id, String rule, String test) {}

    static Path root() { return Path.of(System.getProperty("apr.testdata")).getParent(); }

    /** The contract's rules (the file is a flat list of `- id:` / `rule:` / `test:` entries). */
    static List<Rule> rules(Path yaml) throws IOException {
        List<Rule> out = new ArrayList<>();
        Map<String, String> cur = null;
        Pattern kv = Pattern.compile("^\\s*(?:- )?(id|rule|test):\\s*(.*)$");
        for (String line : Files.readAllLines(yaml)) {
            if (line.isBlank() || line.trim().startsWith("#")) continue;
            Matcher m = kv.matcher(line);
            if (!m.matches()) continue;
            if (line.trim().startsWith("- ")) {
                if (cur != null) out.add(new Rule(cur.get("id"), cur.get("rule"), cur.get("test")));
                cur = new LinkedHashMap<>();
            }
            assertNotNull(cur, "entry before the first '- id:' in " + yaml + ": " + line);
            String v = m.group(2).trim();
            if (v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1);
            cur.put(m.group(1), v);
        }
        if (cur != null) out.add(new Rule(cur.get("id"), cur.get("rule"), cur.get("test")));
        return out;
    }

    static Path findTestSource(String className) throws IOException {
        String rel = "src/test/java/" + className.replace('.', '/') + ".java";
        try (Stream<Path> modules = Files.list(root())) {
            return modules.map(m -> m.resolve(rel)).filter(Files::isRegularFile).findFirst().orElse(null);
        }
    }

    @Test
    void everyRuleHasAnExistingTest() throws IOException {
        Path yaml = root().resolve("contracts/pretrain-init.yaml");
        List<Rule> rules = rules(yaml);
        assertTrue(rules.size() >= SPEC_ROWS.size(), "rules: " + rules.size());
        List<String> ids = new ArrayList<>();
        for (Rule r : rules) {
            assertNotNull(r.id(), "a rule without id: " + r);
            assertFalse(ids.contains(r.id()), "duplicate id " + r.id());
            ids.add(r.id());
            assertTrue(r.rule() != null && !r.rule().isBlank(), r.id() + ": rule text");
            assertTrue(r.test() != null && r.test().contains("#"), r.id() + ": test must be Class#method, got " + r.test());
            String cls = r.test().substring(0, r.test().indexOf('#')), method = r.test().substring(r.test().indexOf('#') + 1);
            Path src = findTestSource(cls);
            assertNotNull(src, r.id() + ": test class " + cls + " not found in any module's src/test/java");
            String code = Files.readString(src);
            Matcher m = Pattern.compile("@Test\\s+(?:@\\w+(?:\\([^)]*\\))?\\s+)*void\\s+" + Pattern.quote(method) + "\\s*\\(").matcher(code);
            assertTrue(m.find(), r.id() + ": no @Test method " + method + " in " + src);
        }
        for (String row : SPEC_ROWS) assertTrue(ids.contains(row), "spec row " + row + " has no rule/test in " + yaml);
    }

    @Test
    void aMissingTestIsDetected(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path y = dir.resolve("c.yaml");
        Files.writeString(y, "rules:\n  - id: X-1\n    rule: \"r\"\n    test: dev.apr.cli.ContractTest#noSuchMethod\n");
        List<Rule> rules = rules(y);
        assertEquals(List.of(new Rule("X-1", "r", "dev.apr.cli.ContractTest#noSuchMethod")), rules);
        String code = Files.readString(findTestSource("dev.apr.cli.ContractTest"));
        assertFalse(Pattern.compile("@Test\\s+void\\s+noSuchMethod\\s*\\(").matcher(code).find());
        assertNull(findTestSource("dev.apr.cli.NoSuchClassTest"));
    }
}
