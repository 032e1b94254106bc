package dev.banger.channel;

/**
 * The frame types of protocol 1, with their wire codes (one unsigned byte). A code not listed here
 * decodes all the same ({@link FrameDecoder} hands over the raw code); {@link #of} returns null for it
 * and the channel answers it with {@link #ERROR} on stream 0, the channel carrying on.
 */
public enum FrameType {
    /** Stream 0. Host to guest: start a session (resets all streams). Payload: {@link Hello}. */
    HELLO(1),
    /** Stream 0. Guest to host: answer to a HELLO, echoing its nonce. Payload: {@link Hello}. */
    HELLO_ACK(2),
    /** Open a stream with the sender's next id. Payload: the request, opaque to the channel. */
    OPEN(3),
    /** Stream bytes, within the credit the receiver granted. Payload: the bytes. */
    DATA(4),
    /** The sender will send no more DATA on this stream (half-close). Empty payload. */
    EOF(5),
    /** The stream is gone for the sender. Payload: status (s32), reason (UTF-8). */
    CLOSE(6),
    /** The sender grants the receiver more bytes to send on this stream. Payload: u32 increment. */
    CREDIT(7),
    /** A protocol error. On a stream: the stream is gone for the sender. On stream 0: a report only. Payload: text. */
    ERROR(8),
    /** Stream 0. Please answer with PONG. Payload: up to {@link Frames#MAX_PING} bytes, echoed. */
    PING(9),
    /** Stream 0. The answer to a PING, with its payload. */
    PONG(10);

    private static final FrameType[] BY_CODE = new FrameType[256];

    static {
        for (FrameType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    /** The wire code, 0..255. */
    public int code() {
        return code;
    }

    /** The type with this wire code, or null when protocol 1 has none (the caller answers ERROR). */
    public static FrameType of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
