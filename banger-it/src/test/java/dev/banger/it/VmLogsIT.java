package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * {@code vm logs} and a hostile guest (issue 12, item 8): a real VM writes an OSC 52 clipboard write, a
 * title change, a screen clear, a C1 CSI and a lone CR to its serial console. {@code vm logs} shows them
 * escaped, on a terminal (util-linux {@code script} gives it one) and on a pipe; {@code --raw} gives the
 * bytes. A link where the console log should be is refused, not followed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class VmLogsIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(1);
    /** Written by the guest with printf: its octal escapes become the bytes. */
    private static final String HOSTILE = "MARK-A\\033]52;c;aGVsbG8=\\007\\033]0;pwned\\007\\033[2J\\033[H\\302\\2332J"
            + "fake\\rreal h\\303\\251llo \\342\\234\\223 MARK-B\\n";
    private static final String SHOWN = "MARK-A\\e]52;c;aGVsbG8=\\a\\e]0;pwned\\a\\e[2J\\e[H\\u009b2Jfake\\rreal héllo ✓ MARK-B";
    private static final String RAW = "MARK-A\u001b]52;c;aGVsbG8=\u0007\u001b]0;pwned\u0007\u001b[2J\u001b[H\u009b2Jfake\rreal héllo ✓ MARK-B";
    private NetnsHome ns;

    @BeforeAll
    void start() {
        ns = NetnsHome.withSharedImage(null);
        ns.ok(BOOT, "vm", "run", "--name", "noisy", "--", "true");
        ns.ok(CLI, "vm", "exec", "noisy", "--", "sh", "-c", "printf '" + HOSTILE + "' > /dev/console");
        assertThat(BangerHome.await(Duration.ofSeconds(30), () -> ns.home.banger("vm", "logs", "--raw", "noisy").stdout().contains("MARK-B")))
                .as("the guest's bytes reached the console log").isTrue();
    }

    @AfterAll
    void cleanUp() {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    @Order(1)
    void onAPipeEscapeSequencesAreShownEscaped() {
        String out = ns.home.ok("vm", "logs", "noisy").stdout();
        assertThat(out).contains(SHOWN);
        assertInert(out, "\n");
    }

    @Test
    @Order(2)
    void onATerminalEscapeSequencesAreShownEscaped() {
        // script runs the CLI on a pseudo-terminal (stdin and stdout), which is what banger tests for a terminal.
        BangerHome.Result r = ns.home.run(List.of("script", "-qec", ns.home.repoDir().resolve("bin/banger") + " vm logs noisy",
                "/dev/null"), CLI);
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.stdout()).contains(SHOWN);
        assertInert(r.stdout(), "\r\n"); // the terminal's own line ends (ONLCR) are all the CRs there are
    }

    @Test
    @Order(3)
    void rawGivesTheBytes() {
        String out = ns.home.ok("vm", "logs", "--raw", "noisy").stdout();
        assertThat(out).contains(RAW);
    }

    @Test
    @Order(4)
    void aLinkInPlaceOfTheLogIsNotFollowed() throws Exception {
        Path log = Path.of(ns.home.ok("vm", "show", "noisy", "--json").json().at("/runtime/log_path").asText());
        ns.ok(Duration.ofMinutes(2), "vm", "stop", "noisy");
        Path secret = ns.home.path().resolve("secret");
        Files.writeString(secret, "TOP-SECRET\n");
        Files.move(log, log.resolveSibling("console.log.real"));
        Files.createSymbolicLink(log, secret);
        BangerHome.Result r = ns.home.banger("vm", "logs", "noisy");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.stdout()).doesNotContain("TOP-SECRET");
        assertThat(r.stderr()).contains("symbolic link").contains(log.toString());
        Files.delete(log);
        ns.ok(Duration.ofMinutes(2), "vm", "delete", "noisy");
    }

    /** No control character a terminal acts on, other than the line ends {@code lineEnd} allows and tabs. */
    private static void assertInert(String out, String lineEnd) {
        String rest = out.replace(lineEnd, "").replace("\t", "");
        List<Integer> controls = rest.codePoints().filter(cp -> cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)).boxed().distinct().toList();
        assertThat(controls).as("control characters left in the output").isEmpty();
    }
}
