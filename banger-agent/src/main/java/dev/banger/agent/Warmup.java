package dev.banger.agent;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs {@code true} once, in the background, after the agent's first answer: the first command through
 * {@link Spawn} makes FFM link its downcall stub and spin the method-handle classes behind it and the
 * segment accessors (~0.5 s interpreted under TCG; the AOT cache keeps none of them). Done while the host
 * waits for the guest-ready milestone, that work is off the first {@code vm exec} and {@code vm run}.
 * Then the {@code identity} op's path, without its effects ({@link IdentitySteps#warm}: the ioctl shape by a
 * read-only ioctl, the clock read, the checks on stand-in values): a snapshot is taken of a booted, warm VM,
 * so its restored children find this linked and loaded instead of paying for it inside their first answer.
 * The ioctl shape's stub and classes are a few hundred KiB of metaspace, which a terminal's first
 * {@code vm exec -t} would make anyway (Pty's TIOCSWINSZ).
 */
final class Warmup {
    private static final List<String> TRUE = List.of("true");
    private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin");

    private final AtomicBoolean started = new AtomicBoolean();
    /** Set once the warm-up has ended (done or given up): health reports it, so a template is snapshotted warm. */
    private static volatile boolean finished;

    static boolean finished() {
        return finished;
    }

    /** Starts the warm-up on its own thread, the first time only. */
    void once() {
        if (started.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("warm-up").start(new Runner());
        }
    }

    /** A class, not a lambda: a lambda the training run did not resolve would itself be spun at run time. */
    private static final class Runner implements Runnable {
        @Override
        public void run() {
            long started = System.nanoTime();
            try {
                Spawn.Child child = Spawn.start(TRUE, ENV, "/", new Spawn.Pipes(false));
                try (InputStream out = Fds.input(child.stdout()); InputStream err = Fds.input(child.stderr())) {
                    out.readAllBytes();
                    err.readAllBytes();
                }
                Spawn.waitFor(child.pid());
                System.err.println("banger-agent: the exec path is warm after " + (System.nanoTime() - started) / 1_000_000 + " ms; "
                        + Main.since());
            } catch (IOException | RuntimeException e) {
                // only a warm-up: the first real command pays instead
            }
            long identity = System.nanoTime();
            try {
                IdentitySteps.warm(Identity.STAND_IN_REQUEST);
                System.err.println("banger-agent: the identity path is warm after " + (System.nanoTime() - identity) / 1_000_000 + " ms");
            } catch (IOException | RuntimeException | LinkageError e) {
                // only a warm-up: a restored guest's identity op pays instead
            } finally {
                finished = true;
            }
        }
    }
}
