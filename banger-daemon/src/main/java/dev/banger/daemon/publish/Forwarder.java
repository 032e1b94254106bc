package dev.banger.daemon.publish;

import dev.banger.api.PublishedPort;

/** A published port's live half: a listener on the host that relays to the guest. Closing it frees the host port. */
interface Forwarder extends AutoCloseable {
    PublishedPort port();

    /** Connections or UDP clients being relayed now. */
    int active();

    @Override
    void close();
}
