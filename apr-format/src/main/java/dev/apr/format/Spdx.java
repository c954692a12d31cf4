package dev.apr.format;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The SPDX licence identifiers apr knows, for {@code apr stamp --license/--data-license} and
 * {@code apr publish --license}.
 *
 * <p>SPDX ids match case-insensitively ("apache-2.0" is "Apache-2.0"). APR metadata stores the
 * canonical SPDX spelling ({@link #canonical}); the Hub's model-card front-matter uses the
 * lower-case form ({@link #hubId}). An id that is not on the list is refused, naming the closest
 * known ids, instead of being written and silently rejected by the Hub later. A custom licence
 * is written the SPDX way, {@code LicenseRef-<name>}.
 */
public final class Spdx {
    private Spdx() {}

    /**
     * Common ids from the SPDX License List (licences seen on model and data-set repos), including
     * the deprecated short forms {@code GPL-3.0} etc. that the Hub still uses as licence tags.
     */
    private static final List<String> IDS = List.of(
            "0BSD", "AFL-3.0", "AGPL-3.0", "AGPL-3.0-only", "AGPL-3.0-or-later",
            "Apache-1.0", "Apache-1.1", "Apache-2.0", "APSL-2.0", "Artistic-2.0",
            "BlueOak-1.0.0", "BSD-1-Clause", "BSD-2-Clause", "BSD-2-Clause-Patent", "BSD-3-Clause",
            "BSD-3-Clause-Clear", "BSD-4-Clause", "BSL-1.0", "BUSL-1.1",
            "CAL-1.0", "CC-BY-1.0", "CC-BY-2.0", "CC-BY-2.5", "CC-BY-3.0", "CC-BY-4.0",
            "CC-BY-NC-2.0", "CC-BY-NC-3.0", "CC-BY-NC-4.0",
            "CC-BY-NC-ND-3.0", "CC-BY-NC-ND-4.0", "CC-BY-NC-SA-2.0", "CC-BY-NC-SA-3.0", "CC-BY-NC-SA-4.0",
            "CC-BY-ND-3.0", "CC-BY-ND-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0", "CC-PDDC", "CC0-1.0",
            "CDDL-1.0", "CDLA-Permissive-1.0", "CDLA-Permissive-2.0", "CDLA-Sharing-1.0",
            "CECILL-2.1", "ECL-2.0", "EFL-2.0", "EPL-1.0", "EPL-2.0", "EUPL-1.1", "EUPL-1.2",
            "GFDL-1.3", "GFDL-1.3-only", "GFDL-1.3-or-later",
            "GPL-2.0", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0", "GPL-3.0-only", "GPL-3.0-or-later",
            "ISC", "LGPL-2.1", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0", "LGPL-3.0-only",
            "LGPL-3.0-or-later", "LGPLLR", "LPPL-1.3c", "MIT", "MIT-0", "MPL-1.1", "MPL-2.0", "MS-PL", "MS-RL",
            "NCSA", "ODbL-1.0", "ODC-By-1.0", "OFL-1.1", "OGL-UK-3.0", "OSL-3.0", "PDDL-1.0", "PHP-3.01",
            "PostgreSQL", "Python-2.0", "Ruby", "Unicode-3.0", "Unicode-DFS-2016", "Unlicense", "UPL-1.0",
            "Vim", "W3C", "WTFPL", "X11", "Zlib", "ZPL-2.1");

    private static final Map<String, String> BY_LOWER = new LinkedHashMap<>();
    static {
        for (String id : IDS) BY_LOWER.put(id.toLowerCase(Locale.ROOT), id);
    }

    /** SPDX's own escape hatch for licences not on the list: LicenseRef-[idstring]. */
    private static final Pattern LICENSE_REF = Pattern.compile("LicenseRef-[A-Za-z0-9.\\-]+");

    /** True when {@code id} is a known SPDX id (any letter case) or a well-formed LicenseRef-. */
    public static boolean isKnown(String id) {
        if (id == null) return false;
        String[] with = splitWith(id);
        if (with != null) return isKnown(with[0]) && EXCEPTIONS_BY_LOWER.containsKey(with[1].toLowerCase(Locale.ROOT));
        return BY_LOWER.containsKey(id.toLowerCase(Locale.ROOT)) || isLicenseRef(id);
    }

    /** Licence exceptions of the SPDX list seen on code corpora ({@code GPL-2.0-only WITH Classpath-exception-2.0}: the JDK). */
    private static final Map<String, String> EXCEPTIONS_BY_LOWER = new LinkedHashMap<>();
    static {
        for (String e : List.of("Classpath-exception-2.0", "GCC-exception-3.1", "LLVM-exception", "OpenJDK-assembly-exception-1.0",
                "Autoconf-exception-3.0", "Bison-exception-2.2", "Font-exception-2.0", "Qt-LGPL-exception-1.1"))
            EXCEPTIONS_BY_LOWER.put(e.toLowerCase(Locale.ROOT), e);
    }

    /** {licence, exception} of an "ID WITH EXCEPTION" expression, else null. */
    private static String[] splitWith(String id) {
        String[] parts = id.strip().split("\\s+WITH\\s+", -1);
        return parts.length == 2 ? parts : null;
    }

    /**
     * The canonical SPDX spelling of {@code id} ("apache-2.0" → "Apache-2.0"). {@code field}
     * names the option or key in the error ("--license"). Unknown ids are refused with the
     * closest known ids.
     */
    public static String canonical(String id, String field) {
        String[] with = id == null ? null : splitWith(id);
        if (with != null) {
            String exception = EXCEPTIONS_BY_LOWER.get(with[1].toLowerCase(Locale.ROOT));
            if (exception == null)
                throw AprException.badInput("UNKNOWN_LICENSE", field + ": expected a known SPDX licence exception after WITH (one of "
                        + String.join(", ", EXCEPTIONS_BY_LOWER.values()) + "), got '" + with[1] + "'");
            return canonical(with[0], field) + " WITH " + exception;
        }
        if (id != null) {
            String known = BY_LOWER.get(id.toLowerCase(Locale.ROOT));
            if (known != null) return known;
            if (isLicenseRef(id)) return "LicenseRef-" + id.substring("LicenseRef-".length());
        }
        List<String> close = closeMatches(id == null ? "" : id, 5);
        throw AprException.badInput("UNKNOWN_LICENSE", field + ": expected a known SPDX licence id"
                + " (e.g. Apache-2.0, MIT, CC-BY-4.0, or LicenseRef-<name> for a custom licence), got '" + id + "'"
                + (close.isEmpty() ? "" : "; did you mean " + String.join(", ", close) + "?"));
    }

    /** The Hub's licence tag for {@code id}: the SPDX id in lower case ("apache-2.0"). */
    public static String hubId(String id, String field) {
        String c = canonical(id, field);
        return isLicenseRef(c) || c.contains(" WITH ") ? "other" : c.toLowerCase(Locale.ROOT);
    }

    /** Every known id, canonical spelling, in list order. */
    public static List<String> ids() { return IDS; }

    /**
     * Up to {@code max} known ids closest to {@code id}: ids that start with what was typed
     * ("apache" → Apache-1.0, Apache-1.1, Apache-2.0) first, then by edit distance (at most a
     * third of the longer string, so "mit" does not suggest "ISC"), ties in list order.
     */
    public static List<String> closeMatches(String id, int max) {
        String q = id.toLowerCase(Locale.ROOT).strip();
        if (q.isEmpty()) return List.of();
        record Scored(String id, int score) {}
        List<Scored> scored = new ArrayList<>();
        for (var e : BY_LOWER.entrySet()) {
            String k = e.getKey();
            if (k.startsWith(q) || q.startsWith(k) && q.length() - k.length() <= 4) {
                scored.add(new Scored(e.getValue(), 0));
                continue;
            }
            int d = editDistance(q, k);
            if (d <= Math.max(1, Math.max(q.length(), k.length()) / 3)) scored.add(new Scored(e.getValue(), d));
        }
        scored.sort(Comparator.comparingInt(Scored::score)); // stable: list order within a score
        return scored.stream().limit(max).map(Scored::id).toList();
    }

    private static boolean isLicenseRef(String id) {
        return id.regionMatches(true, 0, "LicenseRef-", 0, "LicenseRef-".length())
                && LICENSE_REF.matcher("LicenseRef-" + id.substring("LicenseRef-".length())).matches();
    }

    /** Levenshtein distance (ids are short: the quadratic table is fine). */
    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }
}
