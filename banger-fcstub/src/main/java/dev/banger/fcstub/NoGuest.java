package dev.banger.fcstub;

import java.time.Duration;

/**
 * {@link GuestMode#NONE}: InstanceStart only changes the state; SendCtrlAltDel "resets" the guest
 * {@link #RESET_DELAY} later, ending the stub as a guest reset ends Firecracker, after the 204 is sent.
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
