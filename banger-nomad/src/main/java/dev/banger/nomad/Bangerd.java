package dev.banger.nomad;

import dev.banger.api.Rpc;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The driver's one way to the node's bangerd: a call, or a call whose connection then carries records (vm.exec,
 * vm.task_attach). {@link DaemonBangerd} is the real one (banger-cli's DaemonClient over the Unix socket); tests give
 * a stand-in. Errors are banger's own: {@link dev.banger.api.BangerException} with its kind.
 */
interface Bangerd {
    <P, R> R call(Rpc<P, R> rpc, P params);

    <P, R> Conversation<R> converse(Rpc<P, R> rpc, P params);

    /** Where bangerd is reached, for messages. */
    String where();

    /** A call's result and the connection that follows it; closing it closes the connection. */
    record Conversation<R>(R result, InputStream in, OutputStream out, AutoCloseable closer) implements AutoCloseable {
        @Override
        public void close() {
            try {
                closer.close();
            } catch (Exception ignored) {
                // closing anyway
            }
        }
    }
}
