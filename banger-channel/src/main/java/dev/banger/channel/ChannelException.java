package dev.banger.channel;

import java.io.IOException;

/** A channel-level failure, with a kind the caller can map to its own errors and a message that says what to do. */
public final class ChannelException extends IOException {
    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** The peer did not answer in time (the HELLO_ACK, a PONG). */
        TIMEOUT,
        /** The two sides speak no common protocol version (the message names the older side and the fix). */
        INCOMPATIBLE,
        /** The channel is closed (the message is the close reason). */
        CLOSED,
        /** There is no session yet: the handshake has not completed. */
        NOT_READY,
        /** A limit of this channel: too many streams, a request too large. */
        LIMIT
    }

    private final Kind kind;

    public ChannelException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
