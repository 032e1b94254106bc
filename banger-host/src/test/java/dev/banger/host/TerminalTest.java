package dev.banger.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Terminal} on a real pseudo-terminal: util-linux's {@code script} runs a shell on one, which prints
 * the terminal's settings ({@code stty -g}), runs {@link TerminalProbe} in a JVM, and prints them again. Raw
 * mode must have been on inside and the settings must come back exactly, however the probe ends.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TerminalTest {
    /** What the shell and the probe printed, line by line. */
    private static List<String> onATerminal(String mode) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String shell = "stty rows 31 cols 97; stty -g; '" + java + "' -cp '" + System.getProperty("java.class.path") + "' "
                + TerminalProbe.class.getName() + " " + mode + "; echo \"status $?\"; stty -g";
        Process script = new ProcessBuilder("script", "-qec", shell, "/dev/null").redirectInput(new File("/dev/null"))
                .redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                line = line.replace("\r", "");
                lines.add(line);
                if (mode.equals("term") && line.startsWith("pid ")) {
                    long pid = Long.parseLong(line.substring(4).strip());
                    ProcessHandle.of(pid).orElseThrow().destroy(); // SIGTERM
                }
            }
        }
        assertThat(script.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return lines;
    }

    private static void assertRestored(List<String> lines, String status) {
        List<String> settings = lines.stream().filter(l -> l.matches("[0-9a-f]+(:[0-9a-f]+){10,}")).toList();
        assertThat(settings).as("%s", lines).hasSize(2);
        assertThat(settings.get(1)).as("the terminal as it was before: %s", lines).isEqualTo(settings.get(0));
        assertThat(lines).as("raw mode was entered").anyMatch(l -> l.startsWith("pid "));
        assertThat(lines).contains("size 31x97", status);
    }

    @Test
    void rawModeIsUndoneByClose() throws Exception {
        assertRestored(onATerminal("close"), "status 0");
    }

    @Test
    void rawModeIsUndoneWhenTheProgramDiesOfAnException() throws Exception {
        assertRestored(onATerminal("throw"), "status 1");
    }

    @Test
    void rawModeIsUndoneOnSigterm() throws Exception {
        assertRestored(onATerminal("term"), "status 143");
    }

    @Test
    void withoutATerminalThereIsNoSizeAndNoRawMode() throws IOException {
        // This JVM's stdin is not a terminal (surefire gives it a pipe or nothing).
        org.assertj.core.api.Assertions.assertThatThrownBy(Terminal::rawMode)
                .hasMessageContaining("-t with -i needs a terminal on stdin");
    }
}
