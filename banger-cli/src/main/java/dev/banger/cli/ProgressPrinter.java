package dev.banger.cli;

import dev.banger.api.Params;
import dev.banger.api.Rpc;
import java.io.PrintWriter;
import java.util.function.Consumer;

/**
 * Shows a long call's progress on stderr: on a terminal one line rewritten in place
 * ({@code [2/10] debootstrap  1:05  Retrieving libc6}); elsewhere one line per step, so logs stay short.
 */
final class ProgressPrinter implements Consumer<Params.Progress> {
    private static final int WIDTH = 100;

    private final PrintWriter err;
    private final boolean terminal;
    private String lastPhase;
    private boolean lineOpen;

    ProgressPrinter(PrintWriter err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    @Override
    public void accept(Params.Progress p) {
        if (Params.Progress.WARNING.equals(p.phase())) {
            // A warning is never cut to the line's width or overwritten: it says what something costs.
            err.print((lineOpen ? "\n" : "") + "banger: warning: "
                    + dev.banger.core.Text.printable(p.message() == null ? "" : p.message(), MAX_WARNING) + "\n");
            lineOpen = false;
            lastPhase = null;
            err.flush();
            return;
        }
        String head = "[" + p.step() + "/" + p.steps() + "] " + p.phase() + "  " + clock(p.elapsedMs())
                + (p.percent() == null ? "" : "  " + p.percent() + "%");
        boolean newPhase = !p.phase().equals(lastPhase);
        lastPhase = p.phase();
        if (terminal) {
            String line = head + (p.message() == null || p.message().isEmpty() ? "" : "  " + printable(p.message()));
            if (newPhase && lineOpen) {
                err.print("\n");
            }
            err.print("\r" + pad(line.length() > WIDTH ? line.substring(0, WIDTH) : line));
            lineOpen = true;
        } else if (newPhase) {
            err.println(head + (p.message() == null ? "" : "  " + printable(p.message())));
        }
        err.flush();
    }

    /** A long call with its progress shown on stderr; the progress line is closed however the call ends. */
    static <P, R> R call(CliContext ctx, Rpc<P, R> rpc, P params) {
        ProgressPrinter progress = new ProgressPrinter(ctx.err(), ctx.terminal());
        try {
            return ctx.daemon().call(rpc, params, progress);
        } finally {
            progress.finish();
        }
    }

    /** Ends the in-place line so what follows starts on its own line. */
    void finish() {
        if (lineOpen) {
            err.print("\n");
            err.flush();
            lineOpen = false;
        }
    }

    static String clock(long millis) {
        long s = millis / 1000;
        return (s / 60) + ":" + String.format("%02d", s % 60);
    }

    /** Text from the daemon (and through it from build tools) never gets to move the cursor. */
    /** A warning is a few sentences; the bound only keeps a runaway message from flooding the terminal. */
    private static final int MAX_WARNING = 2000;

    private static String printable(String s) {
        return dev.banger.core.Text.printable(s, WIDTH);
    }

    private static String pad(String s) {
        return s + " ".repeat(Math.max(0, WIDTH - s.length()));
    }
}
