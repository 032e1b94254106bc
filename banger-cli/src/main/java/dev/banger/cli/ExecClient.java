package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.core.Text;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;

/**
 * The CLI's end of an exec conversation ({@link Exec}'s records over the connection bangerd hands over), for
 * {@code vm exec} and {@code vm exec --attach}: stdin goes out as records, window sizes as RESIZE, stdout and
 * stderr come back separately, and the command's exit status is the result. What comes from the guest is
 * bounded by the record format (64 KiB a record) and written out as it arrives; a guest's texts (errors,
 * notices) are made printable before they reach the terminal.
 */
final class ExecClient {
    private static final int CHUNK = 32 * 1024;

    private final InputStream fromDaemon;
    private final OutputStream toDaemon;

    ExecClient(InputStream fromDaemon, OutputStream toDaemon) {
        this.fromDaemon = fromDaemon;
        this.toDaemon = toDaemon;
    }

    /**
     * Runs the conversation to the command's exit and returns its status.
     *
     * @param stdin the terminal's input, or null when nothing is sent (the command reads /dev/null, or its
     *              terminal with nobody typing)
     * @param refused what an ERROR record from the agent means, as the start of the message ("cannot attach")
     */
    int run(InputStream stdin, PrintStream stdout, PrintStream stderr, String refused) {
        if (stdin != null) {
            Thread.ofPlatform().daemon().name("exec-stdin").start(() -> pumpStdin(stdin));
        }
        try {
            while (true) {
                Records.Record r = Records.read(fromDaemon);
                if (r == null) {
                    throw lost("the connection ended before the command's exit");
                }
                switch (r.type()) {
                    case Exec.STDOUT -> {
                        stdout.write(r.payload());
                        stdout.flush();
                    }
                    case Exec.STDERR -> {
                        stderr.write(r.payload());
                        stderr.flush();
                    }
                    case Exec.EXIT -> {
                        // the status keeps a shell's form: 128+N when signal N ended the command, else its code
                        return Exec.Exit.read(r.payload()).status();
                    }
                    case Exec.NOTICE -> {
                        stderr.println("banger: " + Text.printable(r.text(), 500));
                        stderr.flush();
                    }
                    case Exec.ERROR -> throw new BangerException(ErrorCode.FAILED_PRECONDITION, refused + ": " + Text.printable(r.text(), 500));
                    default -> {
                        // STARTED, or a record a newer agent sends: nothing to do
                    }
                }
            }
        } catch (IOException e) {
            throw lost(e.getMessage());
        }
    }

    /** Tells the command's terminal its new window size; a conversation already over ignores it. */
    void resize(int rows, int cols) {
        send(Exec.RESIZE, Exec.resize(rows, cols), 8);
    }

    /** The terminal's bytes as STDIN records, then STDIN_EOF; a closed connection ends it quietly. */
    private void pumpStdin(InputStream stdin) {
        byte[] buf = new byte[CHUNK];
        try {
            int n;
            while ((n = stdin.read(buf)) >= 0) {
                if (n > 0 && !send(Exec.STDIN, buf, n)) {
                    return;
                }
            }
            send(Exec.STDIN_EOF, new byte[0], 0);
        } catch (IOException e) {
            // the terminal went away
        }
    }

    /** One record to bangerd; false when the connection is closed (the command exited). */
    private boolean send(int type, byte[] payload, int n) {
        synchronized (toDaemon) {
            try {
                Records.write(toDaemon, type, payload, 0, n);
                toDaemon.flush();
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }

    private static BangerException lost(String why) {
        return new BangerException(ErrorCode.AGENT_UNAVAILABLE, "lost the command's output: " + Text.printable(String.valueOf(why), 300)
                + " (the VM stopped, or bangerd or its agent restarted)");
    }
}
