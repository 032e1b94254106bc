package dev.banger.daemon.rpc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * What a method's connection carries after its response ({@link Call#continueWith}): the server hands it
 * the connection's two directions once the response is written, and closes the connection when it returns.
 * It has no deadline (an interactive shell may idle for hours); the daemon's shutdown closes it.
 */
public interface Conversation {
    /** Runs the conversation; returns when it is over (either side ended it). */
    void run(InputStream fromClient, OutputStream toClient) throws IOException;

    /** The response could not be written (the caller left): release what the conversation holds. */
    void abandon();
}
