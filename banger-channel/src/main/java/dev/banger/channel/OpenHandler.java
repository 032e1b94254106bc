package dev.banger.channel;

/**
 * Serves a stream the peer opened. Runs on its own thread (from {@link ChannelOptions#streamThreads()}),
 * so it may block on the stream's input and output as long as it likes. When it returns, the stream is
 * closed with status {@link StreamEnd#OK} unless the handler closed it itself; when it throws, the stream
 * is closed with {@link StreamEnd#FAILED} and the exception's message.
 */
@FunctionalInterface
public interface OpenHandler {
    void onOpen(Stream stream, byte[] request) throws Exception;
}
