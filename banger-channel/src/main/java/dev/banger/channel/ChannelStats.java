package dev.banger.channel;

/**
 * A channel's accounting, for tests, health output and benchmarks.
 *
 * @param established whether a session is up
 * @param streams streams holding a slot (open, or ended with bytes still unread)
 * @param bufferedBytes received stream bytes not yet read, over all streams
 * @param maxBufferedBytes the most {@code bufferedBytes} has ever been
 * @param maxStreamBufferedBytes the most one stream has ever buffered (never above the window)
 * @param decoderCapacity the decoder's fixed buffer (the most bytes of a partial frame ever held)
 * @param framesIn frames received
 * @param framesOut frames sent
 * @param garbage garbled or oversized frames dropped
 * @param bytesIn wire bytes received
 * @param bytesOut wire bytes sent
 */
public record ChannelStats(boolean established, int streams, long bufferedBytes, long maxBufferedBytes,
        int maxStreamBufferedBytes, int decoderCapacity, long framesIn, long framesOut, long garbage,
        long bytesIn, long bytesOut) {
}
