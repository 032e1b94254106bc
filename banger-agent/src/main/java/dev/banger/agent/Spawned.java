package dev.banger.agent;

import dev.banger.channel.Exec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A command {@link Spawn} started, as the agent's sessions use it: its pid (also its process group's), its
 * stdio pipes as streams (none on a terminal), and its exit status once one platform thread's
 * {@code waitpid} has collected it. Signals go to the group only while the command is not collected, so
 * they do not reach a group whose number was reused since.
 */
final class Spawned {
    private final long pid;
    private final OutputStream stdin;
    private final InputStream stdout;
    private final InputStream stderr;
    private final CompletableFuture<Exec.Exit> exit = new CompletableFuture<>();

    private Spawned(Spawn.Child child) {
        this.pid = child.pid();
        this.stdin = child.stdin() >= 0 ? Fds.output(child.stdin()) : OutputStream.nullOutputStream();
        this.stdout = child.stdout() >= 0 ? Fds.input(child.stdout()) : InputStream.nullInputStream();
        this.stderr = child.stderr() >= 0 ? Fds.input(child.stderr()) : InputStream.nullInputStream();
        // waitpid blocks in native code: a platform thread (a virtual one would pin its carrier).
        Thread.ofPlatform().daemon().name("wait-" + pid).start(() -> {
            try {
                exit.complete(Spawn.waitFor(pid));
            } catch (IOException e) {
                exit.completeExceptionally(e);
            }
        });
    }

    /** Starts {@code command} with {@code stdio}; an IOException ({@link Spawn.NotStarted}) when it cannot run. */
    static Spawned start(Launch.Prepared command, Spawn.Stdio stdio) throws IOException {
        return new Spawned(Spawn.start(command.argv(), command.environment(), command.cwd(), stdio));
    }

    long pid() {
        return pid;
    }

    OutputStream stdin() {
        return stdin;
    }

    InputStream stdout() {
        return stdout;
    }

    InputStream stderr() {
        return stderr;
    }

    boolean alive() {
        return !exit.isDone();
    }

    /** Completes with how the command ended: its exit code, or the signal (its status 128+N, as a shell reports it). */
    CompletableFuture<Exec.Exit> exit() {
        return exit;
    }

    /** Waits for the exit at most {@code millis}; false when it still runs. */
    boolean awaitExit(long millis) throws InterruptedException {
        try {
            exit.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true; // waitpid failed: nothing left to wait for
        }
    }

    /** {@code signal} to the command's process group, unless the command was already collected. */
    void signalGroup(int signal) {
        if (alive()) {
            Spawn.signalGroup(pid, signal);
        }
    }
}
