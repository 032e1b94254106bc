package dev.banger.host;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;

/**
 * The terminal the CLI runs on, for {@code vm exec -t}: its window size, raw mode and its restoration, and
 * window size changes. Through {@code stty} (an argv; coreutils is on every host banger runs on), which works
 * on the terminal its stdin is: the CLI's own stdin for raw mode (the terminal it reads keys from), the
 * controlling terminal ({@code /dev/tty}) for the size, so that {@code -t} without {@code -i} sizes the
 * guest's terminal like the one the user sees.
 */
public final class Terminal {
    private static final long STTY_SECONDS = 5;
    private static final File CONTROLLING_TERMINAL = new File("/dev/tty");

    /** A window size in character cells. */
    public record Size(int rows, int cols) {
    }

    private Terminal() {
    }

    /**
     * The controlling terminal's window size, or empty when there is no terminal, or it has no size yet (a
     * new pseudo-terminal reports 0 0 until someone sets one).
     */
    public static Optional<Size> size() {
        Stty r = stty(ProcessBuilder.Redirect.from(CONTROLLING_TERMINAL), "size");
        if (r.status != 0) {
            return Optional.empty();
        }
        String[] f = r.out.strip().split("\\s+");
        try {
            if (f.length == 2) {
                int rows = Integer.parseInt(f[0]);
                int cols = Integer.parseInt(f[1]);
                return rows > 0 && cols > 0 ? Optional.of(new Size(rows, cols)) : Optional.empty();
            }
        } catch (NumberFormatException e) {
            // not stty's answer
        }
        return Optional.empty();
    }

    /**
     * Raw mode for the terminal on this process's stdin, to {@link Raw#enter} when the caller is ready to read
     * keys (until then Ctrl-C still interrupts): its settings now are saved for the restoration.
     * INVALID_ARGUMENT when stdin is not a terminal.
     */
    public static Raw rawMode() {
        Stty saved = stty(ProcessBuilder.Redirect.INHERIT, "-g");
        if (saved.status != 0) {
            throw new BangerException(ErrorCode.INVALID_ARGUMENT, "-t with -i needs a terminal on stdin, and there is none ("
                    + saved.err.strip() + "): drop -t to pass stdin as a stream, or run banger from a terminal");
        }
        return new Raw(saved.out.strip());
    }

    /** Runs {@code listener} whenever the terminal's window size changes (SIGWINCH), on a thread of its own. */
    public static void onResize(Runnable listener) {
        Signal.handle(new Signal("WINCH"), signal -> listener.run());
    }

    /**
     * A terminal's raw mode: no echo, no line editing, no signals from keys (Ctrl-C is a byte like any other).
     * Once {@link #enter}ed, the saved settings are put back exactly once: by {@link #close}, or by a shutdown
     * hook when the JVM exits first (SIGTERM, SIGINT, an exit from anywhere).
     */
    public static final class Raw implements AutoCloseable {
        private final String settings;
        private final AtomicBoolean entered = new AtomicBoolean();
        private final AtomicBoolean restored = new AtomicBoolean();
        private final Thread hook;

        private Raw(String settings) {
            this.settings = settings;
            this.hook = new Thread(this::restore, "terminal-restore");
        }

        /** Puts the terminal in raw mode. */
        public void enter() {
            if (!entered.compareAndSet(false, true)) {
                return;
            }
            Runtime.getRuntime().addShutdownHook(hook);
            Stty set = stty(ProcessBuilder.Redirect.INHERIT, "raw", "-echo");
            if (set.status != 0) {
                close();
                throw new BangerException(ErrorCode.HOST_FAILURE, "cannot put the terminal in raw mode: " + set.err.strip());
            }
        }

        private void restore() {
            if (entered.get() && restored.compareAndSet(false, true)) {
                stty(ProcessBuilder.Redirect.INHERIT, settings);
            }
        }

        /** Restores the terminal now, if it was entered (and not again at exit). */
        @Override
        public void close() {
            restore();
            if (entered.get()) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException exiting) {
                    // the JVM is exiting: the hook ran or runs, and restores at most once
                }
            }
        }
    }

    private record Stty(int status, String out, String err) {
    }

    private static Stty stty(ProcessBuilder.Redirect input, String... args) {
        List<String> argv = new ArrayList<>(List.of("stty"));
        argv.addAll(List.of(args));
        try {
            Process p = SystemPath.apply(new ProcessBuilder(argv)).redirectInput(input).start();
            String[] text = new String[2];
            Thread err = Thread.ofVirtual().start(() -> text[1] = readSmall(p.getErrorStream()));
            text[0] = readSmall(p.getInputStream());
            if (!p.waitFor(STTY_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Stty(-1, "", "stty did not answer within " + STTY_SECONDS + " s");
            }
            err.join();
            return new Stty(p.exitValue(), text[0], text[1]);
        } catch (IOException e) {
            // no /dev/tty (no controlling terminal), or no stty
            return new Stty(-1, "", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Stty(-1, "", "interrupted");
        }
    }

    private static String readSmall(InputStream in) {
        try (in) {
            return new String(in.readNBytes(4096), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
