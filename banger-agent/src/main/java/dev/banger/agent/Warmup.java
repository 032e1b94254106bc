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
 * The {@code identity} op's path is warmed on the host's request instead ({@link #identity}), before a snapshot.
 */
final class Warmup {
    private static final List<String> TRUE = List.of("true");
    private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin");

    private final AtomicBoolean started = new AtomicBoolean();
    private static final Object IDENTITY = new Object();
    private static volatile boolean identityWarm;

    /**
     * The {@code identity} op's path linked and loaded without its effects ({@link IdentitySteps#warm}), once: what
     * the {@code warm} op does, which the host asks for before it snapshots a VM, so that the restored children find
     * it done. Not at boot: under TCG it is a second or so of the guest's CPU, which a cold boot's readiness would pay.
     * Answers how long it took (0 when done before).
     */
    static long identity() throws IOException {
        synchronized (IDENTITY) {
            if (identityWarm) {
                return 0;
            }
            long started = System.nanoTime();
            IdentitySteps.warm(Identity.STAND_IN_REQUEST);
            identityWarm = true;
            return (System.nanoTime() - started) / 1_000_000;
        }
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
        }
    }
}
