package dev.banger.daemon.rpc;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;

/**
 * The caller of one RPC, as a long-running method sees it: it can be told about progress (JSON-RPC
 * notifications on the same connection, before the response) and asked whether it is still there.
 */
public interface Call {
    /** Sends a progress notification; a caller that has gone away makes {@link #cancelled()} true. */
    void progress(Params.Progress progress);

    /** True once the caller disconnected (a write failed): long work should stop and clean up. */
    boolean cancelled();

    /** Who made the call (peer credentials of its connection). */
    Caller caller();

    /**
     * Makes the connection carry {@code conversation} after the response. Set it last, just before the
     * handler returns its result: a handler that fails afterwards would leave it set for an error response.
     */
    default void continueWith(Conversation conversation) {
        conversation.abandon();
        throw new BangerException(ErrorCode.UNSUPPORTED, "this call has no connection to continue on (it was not made over bangerd's socket)");
    }

    /** For calls without a connection (tests, internal use): the daemon's own rights. */
    Call NONE = new Call() {
        @Override
        public void progress(Params.Progress progress) {
        }

        @Override
        public boolean cancelled() {
            return false;
        }

        @Override
        public Caller caller() {
            return Caller.DAEMON;
        }
    };
}
