package dev.banger.host.guest;

/** How a boot's guest agent is reached: TCP on the guest's address, or vsock (the VMM's, whichever kind). */
public enum AgentTransport {
    TCP, VSOCK;

    /** As it is written in handles.json and shown by {@code vm ports}. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
