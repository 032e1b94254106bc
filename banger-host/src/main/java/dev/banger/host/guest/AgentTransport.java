package dev.banger.host.guest;

/**
 * How a boot's guest agent is reached: a virtio-serial port (QEMU: a Unix socket on the host, no guest
 * network needed), vsock (the VMM's, whichever kind), or TCP on the guest's address (the last resort).
 */
public enum AgentTransport {
    SERIAL, VSOCK, TCP;

    /** As it is written in handles.json and shown by {@code vm ports}. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
