package dev.apr.hub.client;

import dev.apr.hub.publish.CardRules;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The metadata block as huggingface_hub's REGEX_YAML_BLOCK finds it (repocard.py); each expected
 * value below is what that regex gives in Python for the same text.
 */
class CardMetadataTest {

    @Test void blockBetweenDashLinesWithLfOrCrlf() {
        assertEquals("license: mit", CardMetadata.yaml("---\nlicense: mit\n---\n# Model\n"));
        assertEquals("license: mit\r\ntags:\r\n- a", CardMetadata.yaml("---\r\nlicense: mit\r\ntags:\r\n- a\r\n---\r\nbody"));
        assertEquals("license: mit", CardMetadata.yaml("---\nlicense: mit\n---"), "closing line at the end of the file");
    }

    @Test void leadingBlankLinesAreAllowed() {
        assertEquals("license: mit", CardMetadata.yaml("\n  \n---\nlicense: mit\n---\n"));
    }

    @Test void dashLinesWithOtherCharactersOrAnUnclosedBlockAreNoBlock() {
        assertNull(CardMetadata.yaml("--- \nlicense: mit\n---\n"), "trailing space after the opening ---");
        assertNull(CardMetadata.yaml("---\nlicense: mit\n"), "never closed");
        assertNull(CardMetadata.yaml("# Model\n---\nlicense: mit\n---\n"), "not at the top");
        assertNull(CardMetadata.yaml("\uFEFF---\nlicense: mit\n---\n"), "a byte-order mark is not whitespace");
        assertEquals("license: mit\n----", CardMetadata.yaml("---\nlicense: mit\n----\n---\n"), "---- does not close");
    }

    @Test void thePublishChecksSeeTheSameBlockAndSayWhatIsWrong() {
        String bom = "\uFEFF---\nlicense: mit\nlibrary_name: apr\npipeline_tag: text-generation\n---\n";
        List<String> problems = CardRules.check(bom, "README.md");
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("no YAML front matter") && problems.get(0).contains("byte-order mark"), problems.get(0));
        assertEquals(List.of(), CardRules.check(bom.substring(1), "README.md"));
        assertTrue(CardRules.check("--- \nlicense: mit\n---\n", "README.md").get(0).contains("no YAML front matter"));
    }

    @Test void licenceIdsAreTheHubsLowerCaseOnes() {
        assertTrue(CardMetadata.HUB_LICENSES.containsAll(List.of("apache-2.0", "mit", "llama3.2", "other", "openmdw-1.0")));
        assertFalse(CardMetadata.HUB_LICENSES.contains("Apache-2.0"));
        assertFalse(CardMetadata.HUB_LICENSES.contains("gpl-3.0-only"), "an SPDX id the Hub does not use");
    }
}
