package dev.banger.nomad;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.core.Text;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * ExecTask: one command run to its end in the task's VM (vm.exec, no stdin, no terminal), its output collected. Used
 * by Nomad for script checks. Each stream keeps at most {@link #MAX_OUTPUT} bytes (the rest is read and dropped, so the
 * command is never blocked on a full pipe); past the timeout the connection is closed, which hangs the command up.
 */
final class ExecCollect {
    static final int MAX_OUTPUT = 1024 * 1024;
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
    static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    /** The command's exit status and output. */
    record Result(int exitCode, byte[] stdout, byte[] stderr) {
    }

    private ExecCollect() {
    }

    /** The timeout Nomad asked for, else the default; never more than an hour. */
    static Duration timeout(Duration asked) {
        if (asked == null || asked.isZero() || asked.isNegative()) {
            return DEFAULT_TIMEOUT;
        }
        return asked.compareTo(MAX_TIMEOUT) > 0 ? MAX_TIMEOUT : asked;
    }

    static Result run(Bangerd bangerd, String vm, List<String> argv, Duration timeout) {
        if (argv.isEmpty()) {
            throw BangerException.invalid("the command to exec is empty: give the program and its arguments");
        }
        Params.VmExec p = new Params.VmExec(vm, argv, null, null, null, false, null, null, false, false,
                Math.min(timeout.toMillis(), TaskPlan.READY_TIMEOUT_MS));
        AtomicBoolean timedOut = new AtomicBoolean();
        try (Bangerd.Conversation<Params.Conversation> c = bangerd.converse(Rpcs.VM_EXEC, p)) {
            Thread watchdog = Thread.ofPlatform().daemon().name("exec-timeout-" + vm).start(() -> {
                try {
                    Thread.sleep(timeout);
                    timedOut.set(true);
                    c.close();
                } catch (InterruptedException done) {
                    // the command ended first
                }
            });
            try {
                return collect(c);
            } catch (IOException e) {
                if (timedOut.get()) {
                    throw new BangerException(ErrorCode.TIMED_OUT, "the command did not end within " + timeout.toSeconds()
                            + " s; it was hung up");
                }
                throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "lost the command's output: " + e.getMessage());
            } finally {
                watchdog.interrupt();
            }
        }
    }

    private static Result collect(Bangerd.Conversation<Params.Conversation> c) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        while (true) {
            Records.Record r = Records.read(c.in());
            if (r == null) {
                throw new IOException("the connection ended before the command's exit");
            }
            switch (r.type()) {
                case Exec.STDOUT -> keep(out, r.payload());
                case Exec.STDERR -> keep(err, r.payload());
                case Exec.EXIT -> {
                    return new Result(Exec.Exit.read(r.payload()).status(), out.toByteArray(), err.toByteArray());
                }
                case Exec.ERROR -> throw new BangerException(ErrorCode.FAILED_PRECONDITION, "cannot run the command: "
                        + Text.printable(r.text(), 500));
                default -> {
                    // STARTED, NOTICE, or a newer record
                }
            }
        }
    }

    private static void keep(ByteArrayOutputStream into, byte[] bytes) {
        int room = MAX_OUTPUT - into.size();
        if (room > 0) {
            into.write(bytes, 0, Math.min(room, bytes.length));
        }
    }
}
