package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a command inherits from the agent that starts it. */
@Timeout(60)
class LaunchTest {
    /** The ignored-signal mask of a command started by a probe JVM that a shell started in the background. */
    private static long ignoredByACommand(String mode) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process sh = new ProcessBuilder("sh", "-c", "\"$0\" --enable-native-access=ALL-UNNAMED -cp \"$1\" " + SignalProbe.class.getName()
                + " \"$2\" & wait", java, System.getProperty("java.class.path"), mode).start();
        String out = new String(sh.getInputStream().readAllBytes()).strip();
        assertThat(sh.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as(out).startsWith("SigIgn:");
        return Long.parseUnsignedLong(out.substring("SigIgn:".length()).strip(), 16);
    }

    private static boolean ignores(long mask, int signal) {
        return (mask & (1L << (signal - 1))) != 0;
    }

    @Test
    void commandsDoNotInheritTheSignalsTheAgentWasStartedIgnoring() throws Exception {
        long inherited = ignoredByACommand("keep");
        assertThat(ignores(inherited, 2)).as("the shell's background job ignores SIGINT, and so would every command").isTrue();
        long reset = ignoredByACommand("reset");
        for (int sig : List.of(1, 2, 3, 15)) {
            assertThat(ignores(reset, sig)).as("signal %d", sig).isFalse();
        }
    }
}
