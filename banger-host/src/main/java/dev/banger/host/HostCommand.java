package dev.banger.host;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A short host command whose output the caller wants (e2fsck -n, debugfs, du): argv only, bounded output,
 * a time limit. Long-running work with a log goes through {@link CommandRunner} instead.
 */
public final class HostCommand {
    private static final int MAX_OUTPUT = 4 * 1024 * 1024;

    public record Output(int exitStatus, String text) {
        public boolean ok() {
            return exitStatus == 0;
        }
    }

    private HostCommand() {
    }

    public static Output run(List<String> argv, Duration timeout) {
        ProcessBuilder pb = dev.banger.host.SystemPath.apply(new ProcessBuilder(argv)).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new BangerException(ErrorCode.MISSING_DEPENDENCY, "cannot run " + argv.get(0) + ": " + e.getMessage()
                    + " (is it installed? ./setup.sh installs banger's host packages)");
        }
        byte[][] out = new byte[1][];
        Thread reader = Thread.ofVirtual().start(() -> {
            try (InputStream in = p.getInputStream()) {
                out[0] = in.readNBytes(MAX_OUTPUT);
                in.transferTo(OutputStreamSink.INSTANCE);
            } catch (IOException e) {
                out[0] = ("(output unreadable: " + e.getMessage() + ")").getBytes(StandardCharsets.UTF_8);
            }
        });
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new BangerException(ErrorCode.TIMED_OUT, argv.get(0) + " did not finish within " + timeout.toSeconds() + " s");
            }
            reader.join(Duration.ofSeconds(10));
            return new Output(p.exitValue(), out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, argv.get(0) + " was interrupted");
        }
    }

    /** Discards output beyond the limit so the command never blocks on a full pipe. */
    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }
}
