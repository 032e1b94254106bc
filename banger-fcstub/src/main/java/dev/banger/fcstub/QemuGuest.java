package dev.banger.fcstub;

import dev.banger.core.vm.QmpMessages;
import dev.banger.host.vm.KvmProbe;
import dev.banger.host.vm.QemuState;
import dev.banger.host.vm.QmpClient;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@link GuestMode#QEMU}: the configured microVM booted by QEMU under TCG (see {@link QemuArgv}).
 *
 * <p>QEMU must never outlive the stub. It runs under {@code setpriv --pdeathsig KILL}, so the kernel
 * kills it when the thread that started it ends; that thread is a platform thread which waits for QEMU
 * to exit, so it ends only after QEMU (or with the whole process). A virtual thread would not do: the
 * child's parent would be a carrier thread, which may end whenever the scheduler likes. The stub's
 * shutdown hook also kills QEMU ({@link #stop}) for SIGTERM and SIGINT.
 *
 * <p>InstanceStart returns once QEMU answers on QMP, i.e. once it has built the machine (opened the
 * drives, the tap) and runs the guest; if QEMU exits before, its stderr becomes the fault message.
 *
 * <p>Snapshots are QEMU migrations ({@link QemuState}): pause and resume are QMP stop and cont, a save migrates
 * the stopped guest into the snapshot file after the stub's header, and a restore starts the same machine with
 * {@code -incoming} and streams the file back in.
 */
final class QemuGuest implements Guest {
    static final Duration READY_WAIT = Duration.ofSeconds(30);
    static final Duration QMP_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration KILL_WAIT = Duration.ofSeconds(5);
    private static final int STDERR_TAIL_LINES = 20;
    private static final String INCOMING_SOCKET = "incoming.sock";
    private static final String SAVE_SOCKET = "save.sock";
    private static final long STATE_SLACK_MIB = 64;

    private enum State { IDLE, STARTING, BOOTED, ENDED }

    private final String instanceId;
    private final Path apiSocket;
    private final ExitListener listener;
    private final String binary;
    private final AtomicReference<State> state = new AtomicReference<>(State.IDLE);
    private final Deque<String> stderrTail = new ArrayDeque<>();
    private volatile Process process;
    private volatile Path scratch;
    private volatile Path qmp;
    private volatile Optional<Path> agentSerial = Optional.empty();
    private volatile long maxStateBytes;

    /** @param binary qemu-system-x86_64, found on PATH (tests: a fake) */
    QemuGuest(String instanceId, Path apiSocket, ExitListener listener, String binary) {
        this.instanceId = instanceId;
        this.apiSocket = apiSocket;
        this.listener = listener;
        this.binary = binary;
    }

    @Override
    public void start(VmConfig config) throws Fault {
        Process p = launch(config, Optional.empty());
        booted(p);
    }

    /**
     * QEMU with the same machine plus {@code -incoming unix:SOCK}, the state streamed in from {@code offset}
     * ({@link QemuState#load}); QEMU then holds the guest stopped, as it was saved.
     */
    @Override
    public void restore(VmConfig config, Path vmstate, long offset, Duration timeout) throws Fault {
        Process p = launch(config, Optional.of(INCOMING_SOCKET));
        Path incoming = scratch.resolve(INCOMING_SOCKET);
        try {
            long deadline = System.nanoTime() + READY_WAIT.toNanos();
            while (!Files.exists(incoming) && p.isAlive() && System.nanoTime() < deadline) {
                sleep(Duration.ofMillis(20));
            }
            try (QmpClient c = QmpClient.connect(qmp, QMP_TIMEOUT)) {
                QemuState.load(c, incoming, vmstate, offset, timeout);
            }
        } catch (RuntimeException e) {
            failStart();
            throw new Fault("Load snapshot error: Failed to restore from snapshot: the emulated guest (QEMU) did not take the "
                    + "saved state: " + e.getMessage() + ". QEMU said: " + stderrTail());
        }
        booted(p);
    }

    @Override
    public void pause() throws Fault {
        qmp(QmpMessages.STOP, "pause");
    }

    @Override
    public void resume() throws Fault {
        qmp(QmpMessages.CONT, "resume");
    }

    /** A migration of the stopped guest into the file, after the header ({@link QemuState#save}). */
    @Override
    public long save(Path vmstate, byte[] header, Duration timeout) throws Fault {
        requireBooted();
        try (QmpClient c = QmpClient.connect(qmp, QMP_TIMEOUT)) {
            return QemuState.save(c, vmstate, header, scratch.resolve(SAVE_SOCKET), maxStateBytes, timeout).bytes();
        } catch (RuntimeException e) {
            throw new Fault("Create snapshot error: the emulated guest's state could not be saved: " + e.getMessage());
        }
    }

    private void qmp(String command, String what) throws Fault {
        requireBooted();
        try (QmpClient c = QmpClient.connect(qmp, QMP_TIMEOUT)) {
            c.execute(command, QMP_TIMEOUT);
        } catch (RuntimeException e) {
            throw new Fault("could not " + what + " the emulated guest over QMP: " + e.getMessage());
        }
    }

    private void requireBooted() throws Fault {
        if (state.get() != State.BOOTED) {
            throw new Fault("the emulated guest is not running");
        }
    }

    /**
     * Starts QEMU for {@code config} (waiting with {@code -incoming} on a socket of that name in the scratch
     * directory, if given) and returns it once it answers on QMP, the state still STARTING.
     */
    private Process launch(VmConfig config, Optional<String> incoming) throws Fault {
        if (!state.compareAndSet(State.IDLE, State.STARTING)) {
            throw new Fault(Fault.AFTER_START);
        }
        Path kernel = config.boot.orElseThrow().kernel();
        Path bzImage = kernel.toAbsolutePath().resolveSibling("vmlinuz");
        if (!Files.isRegularFile(bzImage)) {
            state.set(State.IDLE);
            throw new Fault("The banger Firecracker stub boots the guest with QEMU, which cannot boot the ELF vmlinux "
                    + kernel + ": it needs the bzImage 'vmlinuz' beside it (" + bzImage + " does not exist)");
        }
        try {
            scratch = ScratchDirs.create(apiSocket);
        } catch (IOException e) {
            state.set(State.IDLE);
            throw new Fault("cannot start the emulated guest: " + e.getMessage());
        }
        qmp = scratch.resolve("qmp.sock");
        // QEMU leaves zero pages out of its stream, and its device state is small: more is not this guest's
        maxStateBytes = (config.machine.memMib() + STATE_SLACK_MIB) * 1024L * 1024L;
        agentSerial = config.vsock.map(v -> scratch.resolve("agent.sock"));
        synchronized (stderrTail) {
            stderrTail.clear();
        }
        List<String> argv = QemuArgv.argv(config, new QemuArgv.Launch(instanceId, bzImage, ConsoleTarget.ofStdout(), qmp,
                KvmProbe.hostTscKhz(), agentSerial, incoming.map(scratch::resolve)));
        List<String> command = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL", "--", binary));
        command.addAll(argv.subList(1, argv.size()));
        System.err.println("fcstub: starting the guest: " + String.join(" ", argv.stream().map(QemuGuest::quoted).toList()));

        CompletableFuture<Process> launched = new CompletableFuture<>();
        Thread.ofPlatform().name("fcstub-qemu").daemon(true).start(() -> runQemu(command, launched));
        Process p;
        try {
            p = launched.get(READY_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            failStart();
            throw new Fault("cannot start " + binary + ": " + (e.getCause() != null ? e.getCause().getMessage() : e));
        }
        process = p;
        if (!awaitQmp(p)) {
            failStart();
            String why = p.isAlive() ? "it did not answer on QMP within " + READY_WAIT.toSeconds() + " s"
                    : "it exited with status " + p.exitValue();
            throw new Fault("the emulated guest (QEMU) did not start: " + why + ". QEMU said: " + stderrTail());
        }
        return p;
    }

    /** A started QEMU becomes the guest, unless it has just exited. */
    private void booted(Process p) throws Fault {
        // QEMU may exit right now: either runQemu sees BOOTED and reports the exit, or this sees it
        // dead and takes BOOTED back, never both
        if (!state.compareAndSet(State.STARTING, State.BOOTED)
                || (!p.isAlive() && state.compareAndSet(State.BOOTED, State.STARTING))) {
            failStart();
            throw new Fault("the emulated guest (QEMU) exited while starting. QEMU said: " + stderrTail());
        }
        System.err.println("fcstub: guest running (QEMU pid " + p.pid() + ")");
    }

    @Override
    public void ctrlAltDel() throws Fault {
        if (state.get() != State.BOOTED) {
            throw new Fault("the emulated guest is not running");
        }
        // microvm has no i8042 keyboard controller: the ACPI power button is the guest's Ctrl-Alt-Del
        try (QmpClient c = QmpClient.connect(qmp, QMP_TIMEOUT)) {
            c.powerdown();
        } catch (RuntimeException e) {
            throw new Fault("could not press the emulated guest's power button over QMP: " + e.getMessage());
        }
    }

    @Override
    public Optional<Path> agentSerial() {
        return agentSerial;
    }

    @Override
    public boolean running() {
        Process p = process;
        return state.get() == State.BOOTED && p != null && p.isAlive();
    }

    @Override
    public void stop() {
        state.set(State.ENDED);
        kill();
        Path s = scratch;
        if (s != null) {
            ScratchDirs.deleteTree(s);
        }
    }

    /** Runs on the platform thread that owns QEMU (see the class comment) until QEMU has exited. */
    private void runQemu(List<String> command, CompletableFuture<Process> launched) {
        Process p;
        try {
            p = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.PIPE)
                    .start();
        } catch (IOException e) {
            launched.completeExceptionally(e);
            return;
        }
        launched.complete(p);
        Thread relay = Thread.ofPlatform().name("fcstub-qemu-stderr").daemon(true).start(() -> relayStderr(p));
        int status = waitUninterruptibly(p);
        try {
            relay.join(Duration.ofSeconds(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (state.compareAndSet(State.BOOTED, State.ENDED)) {
            Path s = scratch;
            if (s != null) {
                ScratchDirs.deleteTree(s);
            }
            listener.exited(status == 0 ? 0 : 1, "QEMU exited with status " + status
                    + (status == 0 ? " (the guest powered off or reset)" : ": " + stderrTail()));
        }
    }

    /** QEMU's stderr goes on to the stub's (the VMM log), its last lines kept for fault messages. */
    private void relayStderr(Process p) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                System.err.println("qemu: " + line);
                synchronized (stderrTail) {
                    stderrTail.addLast(line);
                    if (stderrTail.size() > STDERR_TAIL_LINES) {
                        stderrTail.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            // QEMU gone: nothing more to relay
        }
    }

    private String stderrTail() {
        synchronized (stderrTail) {
            return stderrTail.isEmpty() ? "(nothing on stderr)" : String.join(" | ", stderrTail);
        }
    }

    /** Waits until QEMU completes the QMP greeting (the machine is built) or exits; false if it never does. */
    private boolean awaitQmp(Process p) {
        long deadline = System.nanoTime() + READY_WAIT.toNanos();
        while (p.isAlive() && System.nanoTime() < deadline) {
            if (Files.exists(qmp)) {
                try (QmpClient _ = QmpClient.connect(qmp, QMP_TIMEOUT)) {
                    return true;
                } catch (RuntimeException e) {
                    // not listening yet, or still building the machine: try again
                }
            }
            sleep(Duration.ofMillis(20));
        }
        return false;
    }

    /** Undoes a start that failed; another InstanceStart may try again. */
    private void failStart() {
        kill();
        // give the relay a moment, so the fault message carries QEMU's last words
        sleep(Duration.ofMillis(100));
        Path s = scratch;
        if (s != null) {
            ScratchDirs.deleteTree(s);
        }
        state.compareAndSet(State.STARTING, State.IDLE);
    }

    private void kill() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
            try {
                p.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** An argument as a shell would need it, for the log line (the -append value has spaces). */
    static String quoted(String arg) {
        return arg.matches("[A-Za-z0-9_@%+=:,./-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'";
    }

    private static int waitUninterruptibly(Process p) {
        while (true) {
            try {
                return p.waitFor();
            } catch (InterruptedException e) {
                // the owner thread must outlive QEMU: keep waiting
            }
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
