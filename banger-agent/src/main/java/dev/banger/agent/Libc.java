package dev.banger.agent;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The agent's way into libc (through the FFM API: the agent has no native library of its own): a function's
 * handle that captures {@code errno}, and the checks that turn a failed call into an {@link IOException}
 * naming the call and the errno. Used for what Java cannot do: vsock ({@link Vsock}) and pseudo-terminals
 * ({@link Pty}).
 */
final class Libc {
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EAGAIN = 11;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout().byteOffset(MemoryLayout.PathElement.groupElement("errno"));

    private Libc() {
    }

    /** libc's {@code name}; its handle takes the call-state segment ({@link #state}) as its first argument. */
    static MethodHandle function(String name, FunctionDescriptor fd, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = ERRNO;
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd, all);
    }

    /** Where a call leaves its errno. */
    static MemorySegment state(Arena arena) {
        return arena.allocate(Linker.Option.captureStateLayout());
    }

    static int errno(MemorySegment state) {
        return state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }

    /** Throws, naming {@code what} and the errno, when {@code rc} is negative. */
    static void check(long rc, MemorySegment state, String what) throws IOException {
        if (rc < 0) {
            throw new IOException(what + " failed: errno " + errno(state));
        }
    }

    /** A Throwable from invokeExact as what the agent's callers handle. */
    static IOException rethrow(Throwable t) throws IOException {
        if (t instanceof IOException e) {
            throw e;
        }
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IOException(t);
    }
}
