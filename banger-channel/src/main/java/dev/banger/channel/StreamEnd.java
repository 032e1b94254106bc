package dev.banger.channel;

/**
 * How a stream ended.
 *
 * @param origin who ended it
 * @param status the CLOSE status (an application's exit status, say); {@link #FAILED} for a failure
 * @param reason the CLOSE reason or the failure's message; never null, perhaps empty
 */
public record StreamEnd(Origin origin, int status, String reason) {
    /** The status of a stream closed without an application status. */
    public static final int OK = 0;
    /** The status of a stream that failed (protocol error, channel gone, a handler that threw). */
    public static final int FAILED = -1;

    public enum Origin {
        /** The peer sent CLOSE. */
        PEER,
        /** This side closed it. */
        LOCAL,
        /** A protocol error, an ERROR from the peer, or the channel's end. */
        FAILURE
    }
}
