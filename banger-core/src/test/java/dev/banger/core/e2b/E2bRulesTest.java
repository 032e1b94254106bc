package dev.banger.core.e2b;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class E2bRulesTest {
    @Test
    void baseIsTheDefaultImage() {
        assertThat(E2bRules.imageFor("base", "debian-bookworm")).isEqualTo("debian-bookworm");
        assertThat(E2bRules.imageFor(null, "debian-bookworm")).isEqualTo("debian-bookworm");
        assertThat(E2bRules.imageFor("alpine", "debian-bookworm")).isEqualTo("alpine");
    }

    @Test
    void timeouts() {
        assertThat(E2bRules.timeoutSeconds(null)).isEqualTo(15);
        assertThat(E2bRules.timeoutSeconds(300)).isEqualTo(300);
        assertThat(E2bRules.timeoutSeconds(0)).isZero();
        assertThatThrownBy(() -> E2bRules.timeoutSeconds(-1)).hasMessageContaining("0-86400");
        assertThatThrownBy(() -> E2bRules.timeoutSeconds(86_401)).hasMessageContaining("0-86400");
    }

    @Test
    void mapsAreBounded() {
        assertThat(E2bRules.checkMap("metadata", null)).isEmpty();
        assertThat(E2bRules.checkMap("metadata", Map.of("a", "b"))).containsEntry("a", "b");
        assertThatThrownBy(() -> E2bRules.checkMap("metadata", Map.of("", "b"))).hasMessageContaining("metadata");
        assertThatThrownBy(() -> E2bRules.checkMap("envVars", Map.of("k", "v".repeat(9000)))).hasMessageContaining("envVars.k");
    }

    /** What the SDK sends: URLSearchParams of encodeURIComponent'ed pairs, as the query parameter's (decoded) value. */
    private static String sdkFilter(Map<String, String> pairs) {
        StringBuilder sb = new StringBuilder();
        for (var e : pairs.entrySet()) {
            if (!sb.isEmpty()) {
                sb.append('&');
            }
            sb.append(form(component(e.getKey()))).append('=').append(form(component(e.getValue())));
        }
        return sb.toString();
    }

    private static String component(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String form(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void metadataFilterAsTheSdkSendsIt() {
        var wanted = new java.util.LinkedHashMap<String, String>();
        wanted.put("user", "alice smith");
        wanted.put("odd&key=", "a+b%c");
        Map<String, String> filter = E2bRules.metadataFilter(sdkFilter(wanted));
        assertThat(filter).isEqualTo(wanted);
        assertThat(E2bRules.matches(Map.of("user", "alice smith", "odd&key=", "a+b%c", "x", "y"), filter)).isTrue();
        assertThat(E2bRules.matches(Map.of("user", "alice smith"), filter)).isFalse();
        assertThat(E2bRules.metadataFilter(null)).isEmpty();
    }

    @Test
    void stateFilter() {
        assertThat(E2bRules.stateFilter(List.of())).isEmpty();
        assertThat(E2bRules.stateFilter(List.of("running,paused"))).contains(Set.of("running", "paused"));
        assertThatThrownBy(() -> E2bRules.stateFilter(List.of("gone"))).hasMessageContaining("running or paused");
    }

    @Test
    void formDecoding() {
        assertThat(E2bRules.decode("a+b%20c%C3%A9%2B")).isEqualTo("a b c\u00e9+");
        assertThatThrownBy(() -> E2bRules.decode("50%")).hasMessageContaining("percent-encoding");
        assertThatThrownBy(() -> E2bRules.decode("%zz")).hasMessageContaining("percent-encoding");
    }
}
