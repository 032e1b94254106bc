package dev.banger.fcstub;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What stands behind InstanceStart. When a started guest ends by itself, the guest reports it through
 * the {@link ExitListener} it was made with, once.
 */
interface Guest {
    /** Told once when a started guest has ended; {@code status} 0 is a guest-initiated exit. */
    @FunctionalInterface
    interface ExitListener {
        void exited(int status, String why);
    }

    /** Boots the guest and returns once it runs; a {@link Fault} when it cannot (the API answers 400). */
    void start(VmConfig config) throws Fault;

    /**
     * Starts a guest from a saved state instead of booting: {@code vmstate} holds it from byte {@code offset} on
     * (what {@link #save} wrote after its header). Returns once the state is loaded; the guest is then paused, as
     * it was saved. A {@link Fault} when it cannot (nothing is left running).
     */
    void restore(VmConfig config, Path vmstate, long offset, Duration timeout) throws Fault;

    /** Stops the guest's vCPUs (PATCH /vm Paused); again is fine. */
    void pause() throws Fault;

    /** Lets a paused guest run again (PATCH /vm Resumed); a running one is left alone. */
    void resume() throws Fault;

    /**
     * Writes {@code header} and then the paused guest's state to {@code vmstate} (which must not exist); returns the
     * bytes written. The guest stays paused. On failure no file is left.
     */
    long save(Path vmstate, byte[] header, Duration timeout) throws Fault;

    /** Asks the guest to shut down (Firecracker's SendCtrlAltDel); returns at once. */
    void ctrlAltDel() throws Fault;

    boolean running();

    /**
     * The Unix socket of the started guest's agent port (a virtio-serial port standing in for vsock,
     * which the emulated guest lacks), if it has one.
     */
    default Optional<Path> agentSerial() {
        return Optional.empty();
    }

    /** Ends the guest now, if it runs, and removes what it left on the host; no exit is reported. Idempotent. */
    void stop();
}
