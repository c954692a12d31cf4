package dev.apr.format;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.*;

class SpdxTest {
    @Test
    void matchesCaseInsensitivelyAndReturnsTheCanonicalSpelling() {
        assertEquals("Apache-2.0", Spdx.canonical("apache-2.0", "--license"));
        assertEquals("Apache-2.0", Spdx.canonical("APACHE-2.0", "--license"));
        assertEquals("CC-BY-SA-4.0", Spdx.canonical("cc-by-sa-4.0", "--license"));
        assertEquals("ODC-By-1.0", Spdx.canonical("odc-by-1.0", "--data-license"));
        assertEquals("MIT", Spdx.canonical("mit", "--license"));
    }

    @Test
    void hubIdIsLowerCase() {
        assertEquals("apache-2.0", Spdx.hubId("Apache-2.0", "--license"));
        assertEquals("cc-by-nc-4.0", Spdx.hubId("CC-BY-NC-4.0", "--license"));
        assertEquals("other", Spdx.hubId("LicenseRef-acme-model", "--license"));
    }

    @Test
    void unknownIdIsRefusedWithCloseMatches() {
        AprException e = assertThrows(AprException.class, () -> Spdx.canonical("apache2", "--license"));
        assertEquals("UNKNOWN_LICENSE", e.code());
        assertEquals(AprException.BAD_INPUT, e.exitCode());
        assertTrue(e.getMessage().contains("--license"), e.getMessage());
        assertTrue(e.getMessage().contains("'apache2'"), e.getMessage());
        assertTrue(e.getMessage().contains("Apache-2.0"), e.getMessage());
    }

    @Test
    void closeMatchesPreferPrefixesThenEditDistance() {
        assertEquals(List.of("Apache-1.0", "Apache-1.1", "Apache-2.0"), Spdx.closeMatches("apache", 5));
        assertEquals("GPL-3.0", Spdx.closeMatches("gpl3.0", 5).getFirst());
        assertEquals(List.of(), Spdx.closeMatches("proprietary-xyz", 5));
    }

    @Test
    void licenseRefIsAcceptedAndMalformedRefIsNot() {
        assertEquals("LicenseRef-my.licence-1", Spdx.canonical("licenseref-my.licence-1", "--license"));
        assertThrows(AprException.class, () -> Spdx.canonical("LicenseRef-", "--license"));
        assertThrows(AprException.class, () -> Spdx.canonical("LicenseRef-a b", "--license"));
        assertThrows(AprException.class, () -> Spdx.canonical(null, "--license"));
    }

    @Test
    void listHasNoCaseInsensitiveDuplicates() {
        var seen = new HashSet<String>();
        for (String id : Spdx.ids()) assertTrue(seen.add(id.toLowerCase(Locale.ROOT)), id);
        assertTrue(Spdx.ids().size() > 80);
    }

    @Test
    void withExpressionsTakeAKnownExceptionAndMapToOtherOnTheHub() {
        // the JDK's own licence (its lib/src.zip is apr's demo corpus)
        assertEquals("GPL-2.0-only WITH Classpath-exception-2.0", Spdx.canonical("gpl-2.0-only with classpath-exception-2.0".replace("with", "WITH"), "--data-license"));
        assertTrue(Spdx.isKnown("GPL-2.0-only WITH Classpath-exception-2.0"));
        assertEquals("other", Spdx.hubId("GPL-2.0-only WITH Classpath-exception-2.0", "--license"));
        AprException e = assertThrows(AprException.class, () -> Spdx.canonical("GPL-2.0-only WITH No-such-exception", "--data-license"));
        assertTrue(e.getMessage().contains("'No-such-exception'"), e.getMessage());
        assertFalse(Spdx.isKnown("GPL-2.0-only WITH No-such-exception"));
    }
}
