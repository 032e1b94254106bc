package dev.banger.fcstub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * {@link GuestMode#NONE}: InstanceStart only changes the state; SendCtrlAltDel "resets" the guest
 * {@link #RESET_DELAY} later, ending the stub as a guest reset ends Firecracker, after the 204 is sent. A save
 * writes the header alone (there is no guest state), a restore only changes the state.
 */
final class NoGuest implements Guest {
    static final Duration RESET_DELAY = Duration.ofMillis(100);

    private final ExitListener listener;
    private volatile boolean running;

    NoGuest(ExitListener listener) {
        this.listener = listener;
    }

    @Override
    public void start(VmConfig config) {
        running = true;
    }

    @Override
    public void restore(VmConfig config, Path vmstate, long offset, Duration timeout) {
        running = true;
    }

    @Override
    public void pause() {
        // nothing runs
    }

    @Override
    public void resume() {
        // nothing runs
    }

    @Override
    public long save(Path vmstate, byte[] header, Duration timeout) throws Fault {
        try {
            Files.write(vmstate, header, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            return header.length;
        } catch (IOException e) {
            throw new Fault("Cannot write the snapshot file " + vmstate + ": " + e.getMessage());
        }
    }

    @Override
    public void ctrlAltDel() {
        Thread.ofVirtual().name("fcstub-reset").start(() -> {
            try {
                Thread.sleep(RESET_DELAY);
            } catch (InterruptedException e) {
                return;
            }
            if (running) {
                running = false;
                listener.exited(0, "guest reset after SendCtrlAltDel (no guest emulated)");
            }
        });
    }

    @Override
    public boolean running() {
        return running;
    }

    @Override
    public void stop() {
        running = false;
    }
}
