package dev.apr.hub.client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the hub is, who we are, and where downloads go: the same environment variables
 * {@code huggingface_hub} reads (specs/hf-hub-protocol.md §1.1, §1.3, §7.3), so Python and apr
 * share one configuration and one cache.
 *
 * <p>Endpoint: {@code --endpoint}, else {@code HF_ENDPOINT}, else the embedded hub: the URL that
 * {@code apr hub serve} writes to {@code $APR_HOME/hub.url} ({@code APR_HOME} defaults to
 * {@code ~/.apr}), else {@link #DEFAULT_EMBEDDED_ENDPOINT}.
 */
public record HubSettings(String endpoint, String token, Path cacheDir) {

    /** Where {@code apr hub serve} listens when given no port. */
    public static final String DEFAULT_EMBEDDED_ENDPOINT = "http://127.0.0.1:7878";

    public HubSettings {
        endpoint = stripSlash(endpoint);
        if (token != null && token.isBlank()) token = null;
    }

    /** Flags win over the environment; null flags mean "not given". */
    public static HubSettings resolve(String endpointFlag, String tokenFlag) {
        return resolve(endpointFlag, tokenFlag, System.getenv());
    }

    public static HubSettings resolve(String endpointFlag, String tokenFlag, Map<String, String> env) {
        String endpoint = endpointFlag != null ? endpointFlag : env.get("HF_ENDPOINT");
        if (endpoint == null || endpoint.isBlank()) endpoint = embeddedEndpoint(env);
        String token = tokenFlag;
        if (token == null) token = env.get("HF_TOKEN");
        if (token == null) token = env.get("HUGGING_FACE_HUB_TOKEN");
        if (token == null && !"1".equals(env.get("HF_HUB_DISABLE_IMPLICIT_TOKEN"))) token = tokenFile(env);
        return new HubSettings(endpoint, token, cacheDir(env));
    }

    /** The embedded hub's URL as written by {@code apr hub serve}, else the documented default. */
    public static String embeddedEndpoint(Map<String, String> env) {
        Path file = aprHome(env).resolve("hub.url");
        try {
            if (Files.isRegularFile(file)) {
                String url = Files.readString(file).strip();
                if (url.startsWith("http://") || url.startsWith("https://")) return url;
            }
        } catch (java.io.IOException ignored) {
            // an unreadable hint file is the same as none: the default below is documented
        }
        return DEFAULT_EMBEDDED_ENDPOINT;
    }

    public static Path aprHome(Map<String, String> env) {
        String h = env.get("APR_HOME");
        return h != null && !h.isBlank() ? Path.of(h) : Path.of(System.getProperty("user.home"), ".apr");
    }

    /** {@code HF_HUB_CACHE}, legacy {@code HUGGINGFACE_HUB_CACHE}, else {@code $HF_HOME/hub}. */
    public static Path cacheDir(Map<String, String> env) {
        String c = env.get("HF_HUB_CACHE");
        if (c == null || c.isBlank()) c = env.get("HUGGINGFACE_HUB_CACHE");
        if (c != null && !c.isBlank()) return Path.of(c);
        return hfHome(env).resolve("hub");
    }

    public static Path hfHome(Map<String, String> env) {
        String h = env.get("HF_HOME");
        if (h != null && !h.isBlank()) return Path.of(h);
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("huggingface");
    }

    private static String tokenFile(Map<String, String> env) {
        String p = env.get("HF_TOKEN_PATH");
        Path file = p != null && !p.isBlank() ? Path.of(p) : hfHome(env).resolve("token");
        try {
            if (Files.isRegularFile(file)) {
                String t = Files.readString(file).strip();
                return t.isEmpty() ? null : t;
            }
        } catch (java.io.IOException ignored) {
            // no readable token file: anonymous, exactly as huggingface_hub behaves
        }
        return null;
    }

    private static String stripSlash(String s) {
        while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
        return s;
    }

    /** Never print the token: records print their components, so this one is overridden. */
    @Override public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", token=" + (token == null ? "none" : "***") + ", cacheDir=" + cacheDir + "]";
    }
}
