package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real QEMU, created paused ({@code -S}: no guest runs, no kernel needed), serving QMP on the given
 * socket: to the process scan it is exactly a VM's VMM. For tests of liveness and reconcile.
 */
final class PausedQemu implements AutoCloseable {
    private final Process process;

    private PausedQemu(Process process) {
        this.process = process;
    }

    static PausedQemu on(Path qmpSocket) {
        try {
            Files.createDirectories(qmpSocket.getParent());
            Process p = new ProcessBuilder(List.of("qemu-system-x86_64", "-M", "microvm", "-accel", "tcg", "-m", "32M", "-nodefaults",
                    "-display", "none", "-S", "-qmp", "unix:" + qmpSocket + ",server=on,wait=off"))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!Files.exists(qmpSocket)) {
                assertThat(p.isAlive()).as("QEMU exited early (exit %s)", p.isAlive() ? "-" : p.exitValue()).isTrue();
                assertThat(System.nanoTime()).as("QMP socket within 20 s").isLessThan(deadline);
                Thread.sleep(20);
            }
            return new PausedQemu(p);
        } catch (IOException e) {
            throw new AssertionError("cannot start qemu-system-x86_64 (setup.sh installs it)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
