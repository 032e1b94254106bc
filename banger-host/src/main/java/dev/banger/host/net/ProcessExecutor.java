package dev.banger.host.net;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The production {@link Executor}: runs the command directly, stdin from /dev/null, stdout and stderr
 * kept apart (stdout is JSON to parse, stderr the reason for a failure) and both bounded, under a time
 * limit. {@code LC_ALL=C} keeps the messages that {@link NetworkHost} recognises in English.
 */
public final class ProcessExecutor implements Executor {
    /** {@code ip -j -d addr show} is ~3 KiB a link: room for thousands of taps. */
    private static final int MAX_STDOUT = 32 * 1024 * 1024;
    private static final int MAX_STDERR = 64 * 1024;

    private final Duration timeout;

    public ProcessExecutor(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public Result run(List<String> argv) {
        ProcessBuilder pb = dev.banger.host.SystemPath.apply(new ProcessBuilder(argv)).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("LC_ALL", "C");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Result(PROGRAM_MISSING, "", "cannot run " + argv.get(0) + ": " + e.getMessage());
        }
        Bounded out = Bounded.read(p.getInputStream(), MAX_STDOUT);
        Bounded err = Bounded.read(p.getErrorStream(), MAX_STDERR);
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new BangerException(ErrorCode.TIMED_OUT, String.join(" ", argv) + " did not finish within "
                        + timeout.toSeconds() + " s");
            }
            String stdout = out.text();
            if (out.overflowed()) {
                throw new BangerException(ErrorCode.HOST_FAILURE, String.join(" ", argv) + " printed more than "
                        + (MAX_STDOUT >> 20) + " MiB");
            }
            return new Result(p.exitValue(), stdout, err.text());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, argv.get(0) + " was interrupted");
        }
    }

    /** Reads a stream on a virtual thread, keeping at most {@code max} bytes and draining the rest. */
    private static final class Bounded {
        private final Thread reader;
        private volatile byte[] bytes = new byte[0];
        private volatile boolean overflowed;

        private Bounded(InputStream in, int max) {
            reader = Thread.ofVirtual().start(() -> {
                try (in) {
                    bytes = in.readNBytes(max);
                    overflowed = in.transferTo(OutputStream.nullOutputStream()) > 0;
                } catch (IOException e) {
                    // The process was killed; what was read so far is all there is.
                }
            });
        }

        static Bounded read(InputStream in, int max) {
            return new Bounded(in, max);
        }

        String text() throws InterruptedException {
            reader.join(Duration.ofSeconds(5));
            return new String(bytes, StandardCharsets.UTF_8);
        }

        boolean overflowed() {
            return overflowed;
        }
    }
}
