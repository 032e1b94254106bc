package dev.banger.host;

import java.util.concurrent.TimeUnit;

/**
 * A program for {@link TerminalTest} to run on a pseudo-terminal: prints the terminal's size, enters raw mode,
 * prints its pid and then leaves as its argument says: {@code close} (restores, then exits), {@code throw}
 * (main throws while raw), {@code term} (waits to be killed with SIGTERM).
 */
public final class TerminalProbe {
    private TerminalProbe() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("size " + Terminal.size().map(s -> s.rows() + "x" + s.cols()).orElse("none"));
        Terminal.Raw raw = Terminal.rawMode();
        raw.enter();
        System.out.print("pid " + ProcessHandle.current().pid() + "\r\n");
        System.out.flush();
        switch (args[0]) {
            case "close" -> raw.close();
            case "throw" -> throw new IllegalStateException("thrown while raw");
            default -> TimeUnit.SECONDS.sleep(60);
        }
    }
}
