package dev.apr.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.format.TokenizerJson;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Exactness against Hugging Face tokenizers: expected-ids.json was produced by the official
 * {@code tokenizers} npm package (Rust core) from the same tokenizer.json; see gen.js and
 * mktexts.py next to it.
 */
class TokenizerTest {
    static Path qwenDir;
    static Tokenizer qwen;
    static JsonNode expected;

    @BeforeAll static void load() throws Exception {
        qwenDir = Path.of(System.getProperty("apr.testdata"), "qwen3-tokenizer");
        qwen = Tokenizer.load(qwenDir);
        try (InputStream in = TokenizerTest.class.getResourceAsStream("/tokenizer/expected-ids.json")) {
            expected = new ObjectMapper().readTree(in);
        }
    }

    static int[] ints(JsonNode arr) {
        int[] r = new int[arr.size()];
        for (int i = 0; i < r.length; i++) r[i] = arr.get(i).asInt();
        return r;
    }

    @Test void expectedIdsWereMadeFromThisTokenizerJson() {
        assertEquals(expected.get("tokenizer_sha256").asText(), qwen.sha256());
    }

    @Test void idsEqualHuggingFaceOnVariedTexts() {
        int texts = 0, tokens = 0;
        for (JsonNode t : expected.get("texts")) {
            String text = t.get("text").asText();
            int[] want = ints(t.get("ids"));
            assertArrayEquals(want, qwen.encode(text), () -> "text: " + text);
            assertEquals(t.get("decoded").asText(), qwen.decode(want), () -> "decode of: " + text);
            texts++;
            tokens += want.length;
        }
        assertEquals(54, texts);
        assertTrue(tokens > 800, "tokens compared: " + tokens);
    }

    @Test void idsEqualHuggingFaceOnJdkSourcesFromSrcZip() throws Exception {
        Path srcZip = Path.of(System.getProperty("java.home"), "lib", "src.zip");
        Assumptions.assumeTrue(Files.isRegularFile(srcZip), "no src.zip in this JDK");
        int compared = 0;
        try (ZipFile zip = new ZipFile(srcZip.toFile())) {
            for (JsonNode f : expected.get("files")) {
                ZipEntry e = zip.getEntry(f.get("entry").asText());
                if (e == null) continue;
                byte[] bytes;
                try (InputStream in = zip.getInputStream(e)) { bytes = in.readAllBytes(); }
                String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
                if (!sha.equals(f.get("sha256").asText())) continue; // another JDK build: different text
                assertArrayEquals(ints(f.get("ids")), qwen.encode(new String(bytes, StandardCharsets.UTF_8)), e.getName());
                compared++;
            }
        }
        Assumptions.assumeTrue(compared > 0, "src.zip of this JDK differs from the one the expected ids came from");
    }

    @Test void knownIds() {
        assertArrayEquals(new int[]{9707, 1879, 11, 358, 2776, 1588}, qwen.encode("Hello world, I'm here"));
        assertArrayEquals(new int[]{151644, 872, 198, 6023, 151645}, qwen.encode("<|im_start|>user\nhi<|im_end|>"));
        // llama.cpp's ids for this text (testdata/qwen2-h256-q4km/README.md).
        assertArrayEquals(new int[]{750, 75698, 1445, 982, 262, 470, 75698, 1445, 12, 16, 8},
                qwen.encode("def fibonacci(n):\n    return fibonacci(n-1)"));
        assertEquals("Ġworld", qwen.token(1879));
        assertEquals(1879, qwen.tokenId("Ġworld"));
        assertEquals(151_669, qwen.vocabSize());
    }

    @Test void specialIdsFromTokenizerConfig() {
        assertEquals(-1, qwen.bosId());
        assertEquals(151645, qwen.eosId());
        assertEquals(151643, qwen.padId());
        assertEquals(151644, qwen.imStartId());
        assertEquals(151645, qwen.imEndId());
        assertEquals(151643, qwen.documentEndId());
        assertFalse(qwen.addBos());
        assertTrue(qwen.isSpecial(151644));
        assertFalse(qwen.isSpecial(151667), "<think> is an added token but not special");
        assertTrue(qwen.isEndOfGeneration(151643));
        assertTrue(qwen.isEndOfGeneration(151645));
        assertFalse(qwen.isEndOfGeneration(872));
    }

    @Test void decodeOfEncodeIsNfcOfText() {
        Random r = new Random(7);
        int[][] ranges = {{0x20, 0x7E}, {0xA0, 0x24F}, {0x300, 0x36F}, {0x391, 0x3C9}, {0x4E00, 0x4FFF},
                {0x3040, 0x30FF}, {0xAC00, 0xAC80}, {0x1F300, 0x1F64F}, {0x1F3FB, 0x1F3FF}, {0x200D, 0x200D}, {0x9, 0xD}};
        for (int n = 0; n < 300; n++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(60);
            for (int i = 0; i < len; i++) {
                int[] g = ranges[r.nextInt(ranges.length)];
                sb.appendCodePoint(g[0] + r.nextInt(g[1] - g[0] + 1));
            }
            String s = sb.toString();
            assertEquals(Normalizer.normalize(s, Normalizer.Form.NFC), qwen.decode(qwen.encode(s)), s);
            // The streaming decoder's pieces add up to the same text.
            TokenStreamDecoder d = qwen.streamDecoder();
            StringBuilder streamed = new StringBuilder();
            for (int id : qwen.encode(s)) streamed.append(d.push(id));
            assertEquals(Normalizer.normalize(s, Normalizer.Form.NFC), streamed.append(d.flush()).toString(), s);
        }
        // A decomposed accent comes back composed, as HF's NFC normalizer makes it.
        assertEquals("caf\u00e9", qwen.decode(qwen.encode("cafe\u0301")));
        // A lone surrogate becomes U+FFFD (Rust strings cannot hold one).
        assertEquals("a\uFFFDb", qwen.decode(qwen.encode("a\uD800b")));
    }

    @Test void streamingDecoderHoldsPartialCharacters() {
        String text = "ok 👩‍💻 家族 👍🏽!";
        int[] ids = qwen.encode(text);
        TokenStreamDecoder d = qwen.streamDecoder();
        StringBuilder sb = new StringBuilder();
        boolean sawHeldBack = false;
        for (int id : ids) {
            String piece = d.push(id);
            // Every piece is whole text: never a lone surrogate half or a replacement char.
            assertFalse(piece.contains("\uFFFD"), piece);
            if (!piece.isEmpty()) assertFalse(Character.isHighSurrogate(piece.charAt(piece.length() - 1)));
            if (piece.isEmpty()) sawHeldBack = true;
            sb.append(piece);
        }
        sb.append(d.flush());
        assertTrue(sawHeldBack, "some token ends mid-character in this text");
        assertEquals(text, sb.toString());
        // An emoji of 4 bytes split over two single-byte tokens... and a truncated one at the end.
        int b0 = qwen.tokenId(String.valueOf(ByteLevel.BYTE_TO_CHAR[0xF0]));
        int b1 = qwen.tokenId(String.valueOf(ByteLevel.BYTE_TO_CHAR[0x9F]));
        TokenStreamDecoder d2 = qwen.streamDecoder();
        assertEquals("", d2.push(b0));
        assertEquals("", d2.push(b1));
        assertEquals("\uFFFD", d2.flush());
    }

    @Test void chatTemplateChatMl() {
        assertEquals(Tokenizer.ChatFormat.CHATML, qwen.chatFormat());
        assertNull(qwen.defaultSystemPrompt(), "Qwen3's template adds no default system prompt");
        String s = qwen.applyChatTemplate(List.of(Message.system("Be brief."), Message.user("hi")));
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", s);
        int[] ids = qwen.encodeChat(List.of(Message.user("hi")));
        assertArrayEquals(new int[]{151644, 872, 198, 6023, 151645, 198, 151644, 77091, 198}, ids);
    }

    /** The Qwen tokenizer in {@code dir} with its tokenizer_config.json's chat_template replaced. */
    static Tokenizer withChatTemplate(Path dir, String template) throws Exception {
        Files.copy(qwenDir.resolve("tokenizer.json"), dir.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ObjectMapper om = new ObjectMapper();
        var node = (com.fasterxml.jackson.databind.node.ObjectNode) om.readTree(Files.readString(qwenDir.resolve("tokenizer_config.json")));
        node.put("chat_template", template);
        Files.writeString(dir.resolve("tokenizer_config.json"), om.writeValueAsString(node));
        return Tokenizer.load(dir);
    }

    @Test void qwen25TemplateImpliesDefaultSystemPrompt(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Tokenizer t = withChatTemplate(dir, "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
                + "{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}");
        assertEquals("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", t.defaultSystemPrompt());
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", t.applyChatTemplate(List.of(Message.user("hi"))));
    }

    /** SmolLM2's template writes the default system turn with real newlines inside the Jinja string (rendered by @huggingface/jinja the same). */
    @Test void smolLm2TemplateImpliesDefaultSystemPrompt(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Tokenizer t = withChatTemplate(dir, "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                + "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}"
                + "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}");
        assertEquals("You are a helpful AI assistant named SmolLM, trained by Hugging Face", t.defaultSystemPrompt());
        assertEquals("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                + "<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n", t.applyChatTemplate(List.of(Message.user("Hello there"))));
    }

    /**
     * Llama 3.1/3.2 templates open every conversation with a system turn holding the knowledge
     * cut-off and "Today Date" (3.1: its fixed "26 Jul 2024"; 3.2: today, via strftime_now), as
     * @huggingface/jinja renders the real templates; Llama 3.0's has none. The template picks the
     * format when a tokenizer has both ChatML and Llama-3 tokens.
     */
    @Test void llama31TemplatesOpenWithTheDatedSystemTurn(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        ObjectMapper om = new ObjectMapper();
        var tj = (com.fasterxml.jackson.databind.node.ObjectNode) om.readTree(Files.readString(qwenDir.resolve("tokenizer.json")));
        int id = 151669;
        for (String name : List.of("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"))
            ((com.fasterxml.jackson.databind.node.ArrayNode) tj.get("added_tokens")).add(om.createObjectNode().put("id", id++)
                    .put("content", name).put("single_word", false).put("lstrip", false).put("rstrip", false)
                    .put("normalized", false).put("special", true));
        Files.writeString(dir.resolve("tokenizer.json"), om.writeValueAsString(tj));
        String dates = "{%- if not date_string is defined %}{%- if strftime_now is defined %}{%- set date_string = strftime_now(\"%d %b %Y\") %}"
                + "{%- else %}{%- set date_string = \"26 Jul 2024\" %}{%- endif %}{%- endif %}"
                + "{{- \"Cutting Knowledge Date: December 2023\\n\" }}{{- \"Today Date: \" + date_string + \"\\n\\n\" }}";
        List<Message> chat = List.of(new Message("system", " Be brief. "), Message.user(" hi "));
        String tail = "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
        String today = java.time.LocalDate.now().format(java.time.format.DateTimeFormatter.ofPattern("dd MMM yyyy", java.util.Locale.ENGLISH));
        String dates31 = "{%- if not date_string is defined %}{%- set date_string = \"26 Jul 2024\" %}{%- endif %}"
                + "{{- \"Cutting Knowledge Date: December 2023\\n\" }}{{- \"Today Date: \" + date_string + \"\\n\\n\" }}";
        for (String[] c : new String[][] {{dates, today}, {dates31, "26 Jul 2024"}}) {
            Files.writeString(dir.resolve("tokenizer_config.json"), om.writeValueAsString(om.createObjectNode()
                    .put("bos_token", "<|begin_of_text|>").put("eos_token", "<|eot_id|>").put("chat_template", c[0] + "<|start_header_id|>")));
            Tokenizer t = Tokenizer.load(dir);
            assertEquals(Tokenizer.ChatFormat.LLAMA3, t.chatFormat());
            String expected = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
                    + c[1] + "\n\n" + tail;
            assertEquals(expected, t.applyChatTemplate(chat));
        }
        // Llama 3.0: no system turn of its own
        Files.writeString(dir.resolve("tokenizer_config.json"), om.writeValueAsString(om.createObjectNode()
                .put("bos_token", "<|begin_of_text|>").put("eos_token", "<|eot_id|>")
                .put("chat_template", "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>' }}")));
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" + tail, Tokenizer.load(dir).applyChatTemplate(chat));
        assertEquals("26 Jul 2024", Tokenizer.llama31Date("{{ \"Cutting Knowledge Date: December 2023\\n\" }}{%- set date_string = \"26 Jul 2024\" %}"));
        assertNull(Tokenizer.llama31Date("<|start_header_id|>"));
    }

    /** GGUF metadata as convert_hf_to_gguf writes it (padded to 151936 with [PAD] UNUSED tokens). */
    static Map<String, Object> ggufBase;

    static synchronized Map<String, Object> ggufMetadata(String pre) {
        if (ggufBase == null) ggufBase = buildGgufMetadata();
        Map<String, Object> md = new LinkedHashMap<>(ggufBase);
        md.put("tokenizer.ggml.pre", pre);
        return md;
    }

    static Map<String, Object> buildGgufMetadata() {
        TokenizerJson tj = TokenizerJson.read(qwenDir.resolve("tokenizer.json"));
        String[] all = tj.allTokensById();
        List<String> tokens = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        for (int i = 0; i < 151936; i++) {
            if (i < all.length && all[i] != null) {
                tokens.add(all[i]);
                int type = 1;
                for (TokenizerJson.AddedToken a : tj.addedTokens())
                    if (a.id() == i) type = a.special() || (a.content().startsWith("<|") && a.content().endsWith("|>")) ? 3 : 4;
                types.add(type);
            } else {
                tokens.add("[PAD" + i + "]");
                types.add(5);
            }
        }
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("tokenizer.ggml.model", "gpt2");
        md.put("tokenizer.ggml.tokens", tokens);
        md.put("tokenizer.ggml.token_type", types);
        md.put("tokenizer.ggml.merges", tj.mergeStrings());
        md.put("tokenizer.ggml.eos_token_id", 151645L);
        md.put("tokenizer.ggml.padding_token_id", 151643L);
        md.put("tokenizer.ggml.bos_token_id", 151643L);
        md.put("tokenizer.ggml.add_bos_token", false);
        return md;
    }

    @Test void ggufMetadataGivesTheSameIds() {
        Tokenizer g = Tokenizer.fromGguf(ggufMetadata("qwen2"));
        assertEquals(151936, g.vocabSize());
        assertEquals(151645, g.eosId());
        for (JsonNode t : expected.get("texts")) {
            String text = t.get("text").asText();
            assertArrayEquals(ints(t.get("ids")), g.encode(text), () -> "text: " + text);
        }
        assertEquals("[PAD151700]", g.decode(new int[]{151700}));
    }

    @Test void aprMetadataWithEmbeddedTokenizerJson() throws Exception {
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("tokenizer.json", Files.readString(qwenDir.resolve("tokenizer.json")));
        md.put("special_tokens", Map.of("eos_token", "<|im_end|>", "pad_token", "<|endoftext|>"));
        md.put("chat_template", "{{ x }}");
        Tokenizer t = Tokenizer.fromAprMetadata(md, "m.apr");
        assertEquals(151645, t.eosId());
        assertEquals(151643, t.padId());
        assertEquals("{{ x }}", t.chatTemplate());
        for (JsonNode x : expected.get("texts"))
            assertArrayEquals(ints(x.get("ids")), t.encode(x.get("text").asText()));
        // Only vocabulary + merges: <|...|> tokens still split out as specials.
        Map<String, Object> g = ggufMetadata("qwen2");
        Map<String, Object> md2 = new LinkedHashMap<>();
        md2.put("tokenizer.vocabulary", g.get("tokenizer.ggml.tokens"));
        md2.put("tokenizer.merges", g.get("tokenizer.ggml.merges"));
        md2.put("tokenizer.pre_type", "qwen2");
        md2.put("tokenizer.eos_token_id", 151645);
        Tokenizer v = Tokenizer.fromAprMetadata(md2, "m.apr");
        assertArrayEquals(qwen.encode("<|im_start|>user\nhi<|im_end|> 123"), v.encode("<|im_start|>user\nhi<|im_end|> 123"));
        assertEquals(151645, v.eosId());
        assertThrows(dev.apr.format.AprException.class, () -> Tokenizer.fromAprMetadata(Map.of(), "m.apr"));
    }

    /**
     * The vocabulary as the Rust aprender importer embeds it (its build_vocab_vector): padded to
     * vocab_size with repeated "<unk>", no tokenizer.pre_type, no tokenizer.json. Qwen's split is
     * recognised from <|endoftext|> at 151643, the padding ids are never produced, and the ids equal
     * the Qwen tokenizer's; another repeated text, or no way to tell the split, is refused.
     */
    @Test void aprenderPaddedVocabularyWithoutPreType() {
        List<?> gguf = (List<?>) ggufMetadata("qwen2").get("tokenizer.ggml.tokens");
        List<String> vocab = new ArrayList<>();
        for (Object t : gguf) vocab.add(t.toString().startsWith("[PAD") ? "<unk>" : t.toString());
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("tokenizer.vocabulary", vocab);
        md.put("tokenizer.merges", ggufMetadata("qwen2").get("tokenizer.ggml.merges"));
        md.put("tokenizer.eos_token_id", 151645);
        assertEquals(268, vocab.stream().filter("<unk>"::equals).count(), "Qwen's 151,668 tokens in 151,936 rows");
        assertEquals("qwen2", AprVocabulary.preType(md, AprVocabulary.tokens(vocab, "m.apr")));
        // without token types only <|...|> tokens are taken for specials (Qwen3's </think> is then plain text)
        Tokenizer guessed = Tokenizer.fromAprMetadata(md, "m.apr");
        assertArrayEquals(new int[] {9707, 220, 16, 17, 18, 151645}, guessed.encode("Hello 123<|im_end|>"));
        // with aprender's tokenizer.token_type (GGUF numbering) the ids equal the Qwen tokenizer's on every text
        md.put("tokenizer.token_type", ggufMetadata("qwen2").get("tokenizer.ggml.token_type"));
        Tokenizer v = Tokenizer.fromAprMetadata(md, "m.apr");
        for (JsonNode x : expected.get("texts"))
            assertArrayEquals(ints(x.get("ids")), v.encode(x.get("text").asText()), x.get("text").asText());
        int firstUnk = vocab.indexOf("<unk>");
        assertEquals("<unk>", v.decode(new int[] {firstUnk}), "the first <unk> stays a token");
        assertEquals("[PAD151935]", v.decode(new int[] {151935}), "later repeats are padding ids");

        List<String> bad = new ArrayList<>(vocab);
        bad.set(151935, "hello");
        md.put("tokenizer.vocabulary", bad);
        var e = assertThrows(dev.apr.format.AprException.class, () -> Tokenizer.fromAprMetadata(md, "m.apr"));
        assertTrue(e.getMessage().contains("tokenizer.vocabulary[151935]") && e.getMessage().contains("'hello' again"), e.getMessage());

        Map<String, Object> tiny = new LinkedHashMap<>();
        tiny.put("tokenizer.vocabulary", List.of("a", "b", "ab"));
        tiny.put("tokenizer.merges", List.of("a b"));
        var none = assertThrows(dev.apr.format.AprException.class, () -> Tokenizer.fromAprMetadata(tiny, "t.apr"));
        assertEquals("TOKENIZER_BAD", none.code());
        assertTrue(none.getMessage().contains("t.apr: tokenizer.pre_type: expected qwen2, llama-bpe, smollm or gpt-2"), none.getMessage());
        tiny.put("tokenizer.pre_type", "gpt-2");
        assertArrayEquals(new int[] {2}, Tokenizer.fromAprMetadata(tiny, "t.apr").encode("ab"));

        List<String> llama = new ArrayList<>(java.util.Collections.nCopies(128001, "<unk>"));
        llama.set(0, "a");
        llama.set(128000, "<|begin_of_text|>");
        assertEquals("llama-bpe", AprVocabulary.preType(Map.of(), AprVocabulary.tokens(llama, "l.apr")));
        // BOS: tokenizer.add_bos_token when given (aprender copies it from a GGUF), else llama.cpp's default per split
        assertTrue(AprVocabulary.addBos(Map.of(), "llama-bpe"));
        assertFalse(AprVocabulary.addBos(Map.of(), "qwen2"));
        assertFalse(AprVocabulary.addBos(Map.of("tokenizer.add_bos_token", false), "llama-bpe"));
        assertFalse(v.addBos(), "Qwen: no BOS");
        md.put("tokenizer.vocabulary", vocab);
        md.put("tokenizer.add_bos_token", true);
        assertTrue(Tokenizer.fromAprMetadata(md, "m.apr").addBos());
    }

    @Test void llamaBpePreGroupsDigitsByThree() {
        Tokenizer g = Tokenizer.fromGguf(ggufMetadata("llama-bpe"));
        // Qwen's vocabulary only has single digits, so both give 8 ids; the pieces differ.
        assertEquals(List.of("123", "456", "78", " x"), pieces(PreTokenizerRegex.forGgufPre("llama-bpe").getFirst(), "12345678 x"));
        assertEquals(List.of("1", "2", "3", "4", " x"), pieces(PreTokenizerRegex.forGgufPre("qwen2").getFirst(), "1234 x"));
        assertArrayEquals(qwen.encode("12345678 x"), g.encode("12345678 x"));
        assertEquals("12345678", g.decode(g.encode("12345678")));
        assertTrue(g.addBos() == false, "add_bos_token from metadata wins");
        assertThrows(dev.apr.format.AprException.class, () -> Tokenizer.fromGguf(ggufMetadata("no-such-pre")));
    }

    @Test void regexTranslationUsesUnicodeWhiteSpaceAndCaseFolding() {
        String jre = PreTokenizerRegex.translate("\\s+(?!\\S)|[^\\s\\p{L}]+|(?i:'s)");
        var p = java.util.regex.Pattern.compile(jre);
        assertTrue(p.matcher("\u3000\u00a0").matches());
        assertTrue(p.matcher("'\u017f").matches(), "'ſ folds to 's as in Oniguruma");
        assertEquals(List.of(" \u200b"), pieces(PreTokenizerRegex.QWEN2, " \u200b"), "ZWSP is not white space");
    }

    static List<String> pieces(String hfRegex, String text) {
        var m = PreTokenizerRegex.compile(hfRegex).matcher(text);
        List<String> out = new ArrayList<>();
        while (m.find()) out.add(m.group());
        return out;
    }

    /**
     * Cross-check on many more files: run gen.js (see resources) to make jdk-ids.json, then
     * env APR_HF_IDS=/path/jdk-ids.json APR_HF_JDK_DIR=/path/jdk and {@code -Dapr.excludedGroups=}.
     */
    @Test @Tag("slow") void crossCheckManyJdkFiles() throws Exception {
        String ids = System.getProperty("apr.hfIds", System.getenv("APR_HF_IDS")), dir = System.getProperty("apr.hfJdkDir", System.getenv("APR_HF_JDK_DIR"));
        Assumptions.assumeTrue(ids != null && dir != null, "set apr.hfIds and apr.hfJdkDir");
        JsonNode root = new ObjectMapper().readTree(Path.of(ids).toFile());
        int files = 0;
        long tokens = 0;
        for (JsonNode f : root.get("files")) {
            String text = Files.readString(Path.of(dir, f.get("entry").asText()));
            int[] want = ints(f.get("ids"));
            assertArrayEquals(want, qwen.encode(text), f.get("entry").asText());
            files++;
            tokens += want.length;
        }
        System.out.println("cross-check: " + files + " files, " + tokens + " tokens equal");
    }

    /** 3000 random strings of tricky code points and their HF ids (made by fuzz.js). */
    @Test void idsEqualHuggingFaceOnFuzzedStrings() throws Exception {
        JsonNode root;
        try (InputStream in = new java.util.zip.GZIPInputStream(TokenizerTest.class.getResourceAsStream("/tokenizer/fuzz-ids.json.gz"))) {
            root = new ObjectMapper().readTree(in);
        }
        assertEquals(3000, root.get("texts").size());
        int bad = 0;
        for (int i = 0; i < root.get("texts").size(); i++) {
            String text = root.get("texts").get(i).asText();
            int[] want = ints(root.get("ids").get(i)), got = qwen.encode(text);
            if (!java.util.Arrays.equals(want, got) && bad++ < 10)
                System.out.println("MISMATCH " + i + " " + text.codePoints().mapToObj(c -> String.format("U+%04X", c)).toList()
                        + "\n want " + java.util.Arrays.toString(want) + "\n got  " + java.util.Arrays.toString(got));
        }
        assertEquals(0, bad, "fuzz mismatches");
    }
}
