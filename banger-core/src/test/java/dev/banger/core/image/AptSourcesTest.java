package dev.banger.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AptSourcesTest {
    private static final String DEB822 = """
            Types: deb
            # http://snapshot.debian.org/archive/debian/20250520T000000Z
            URIs: http://mirror.example/debian
            Suites: bookworm bookworm-updates
            Components: main
            Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

            Types: deb
            URIs: http://mirror.example/debian-security
            Suites: bookworm-security
            Components: main
            """;

    @Test
    void picksTheMainArchiveNotSecurity() {
        List<AptSources.Entry> entries = AptSources.parseDeb822(DEB822);
        assertThat(entries).hasSize(2);
        assertThat(AptSources.mirror(entries, "bookworm", "x")).isEqualTo("http://mirror.example/debian");
        // Another suite still gets the main archive rather than the security one.
        assertThat(AptSources.mirror(entries, "trixie", "x")).isEqualTo("http://mirror.example/debian");
    }

    @Test
    void readsOneLineSourcesWithOptions() {
        List<AptSources.Entry> entries = AptSources.parseOneLine("""
                # comment
                deb-src http://src.example/debian bookworm main
                deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main contrib # trailing
                deb http://sec.example/debian-security bookworm-security main
                """);
        assertThat(entries).extracting(AptSources.Entry::uri).containsExactly("http://one.example/debian", "http://sec.example/debian-security");
        assertThat(AptSources.mirror(entries, "bookworm", "x")).isEqualTo("http://one.example/debian");
    }

    @Test
    void skipsDisabledStanzasAndFailsClearlyWithNoMirror() {
        List<AptSources.Entry> entries = new ArrayList<>(AptSources.parseDeb822("Types: deb\nURIs: http://a/\nSuites: bookworm\nComponents: main\nEnabled: no\n"));
        assertThat(entries).isEmpty();
        entries.addAll(AptSources.parseOneLine("deb cdrom:[Debian]/ bookworm main\n"));
        assertThatThrownBy(() -> AptSources.mirror(entries, "bookworm", "/etc/apt/sources.list"))
                .isInstanceOf(BangerException.class).hasMessageContaining("no Debian mirror").hasMessageContaining("/etc/apt/sources.list")
                .hasMessageContaining("--mirror");
    }
}
