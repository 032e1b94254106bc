package dev.banger.api;

/**
 * A guest port published on the host: connections (TCP) or datagrams (UDP) to {@code hostIp:hostPort} on the
 * host reach {@code guestPort} inside the VM. Parsed and checked by banger-core's {@code PublishRules}.
 *
 * @param protocol "tcp" or "udp"
 * @param auto     true for a port the daemon published by itself ({@code [network] auto_publish}): it follows the
 *                 guest's listener and is never stored
 */
public record PublishedPort(String hostIp, int hostPort, int guestPort, String protocol, boolean auto) {
    public PublishedPort(String hostIp, int hostPort, int guestPort, String protocol) {
        this(hostIp, hostPort, guestPort, protocol, false);
    }

    /** The {@code --publish} form, {@code HOST_IP:HOST_PORT:GUEST_PORT/PROTO}, which {@code vm unpublish} takes back. */
    public String spec() {
        return hostIp + ":" + hostPort + ":" + guestPort + "/" + protocol;
    }
}
