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
 * The CLI's end of an exec conversation ({@link Exec}'s records over the connection bangerd hands over):
 * stdin goes out as records, stdout and stderr come back separately, and the command's exit status is the
 * result. What comes from the guest is bounded by the record format (64 KiB a record) and written out as it
 * arrives; a guest's error text is made printable before it reaches the terminal.
 */
final class ExecClient {
    private static final int CHUNK = 32 * 1024;

    private ExecClient() {
    }

    /**
     * Runs the conversation to the command's exit and returns its status.
     *
     * @param stdin the terminal's input, or null when the command reads nothing (its stdin is /dev/null)
     */
    static int run(InputStream fromDaemon, OutputStream toDaemon, InputStream stdin, PrintStream stdout, PrintStream stderr) {
        if (stdin != null) {
            Thread.ofPlatform().daemon().name("exec-stdin").start(() -> pumpStdin(stdin, toDaemon));
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
                        return Records.u32(r.payload());
                    }
                    case Exec.ERROR -> throw new BangerException(ErrorCode.FAILED_PRECONDITION, "the VM's agent could not run the command: "
                            + Text.printable(r.text(), 500));
                    default -> {
                        // STARTED, or a record a newer agent sends: nothing to do
                    }
                }
            }
        } catch (IOException e) {
            throw lost(e.getMessage());
        }
    }

    /** The terminal's bytes as STDIN records, then STDIN_EOF; a closed connection ends it quietly. */
    private static void pumpStdin(InputStream stdin, OutputStream toDaemon) {
        byte[] buf = new byte[CHUNK];
        try {
            int n;
            while ((n = stdin.read(buf)) >= 0) {
                if (n > 0) {
                    synchronized (toDaemon) {
                        Records.write(toDaemon, Exec.STDIN, buf, 0, n);
                        toDaemon.flush();
                    }
                }
            }
            synchronized (toDaemon) {
                Records.write(toDaemon, Exec.STDIN_EOF, new byte[0]);
                toDaemon.flush();
            }
        } catch (IOException e) {
            // the command exited (bangerd closed the connection) or the terminal went away
        }
    }

    private static BangerException lost(String why) {
        return new BangerException(ErrorCode.AGENT_UNAVAILABLE, "lost the command's output: " + Text.printable(String.valueOf(why), 300)
                + " (the VM stopped, or bangerd or its agent restarted)");
    }
}
