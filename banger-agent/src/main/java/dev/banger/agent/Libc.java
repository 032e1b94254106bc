package dev.banger.agent;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;

/**
 * The agent's way to libc (FFM; the agent has no native library of its own): what Java has no API for
 * (AF_VSOCK, pseudo-terminals, spawning a command in a new session, a process group's signals) and plain
 * descriptor I/O for those.
 *
 * <p><b>One call shape.</b> Every function is called as {@code long f(long, long, long, long, long, long)}
 * with errno captured ({@link Fn}): integers and pointers (a segment's {@link MemorySegment#address()})
 * travel as longs, unused arguments as 0, and an {@code int} result is the low half of the long. The
 * linker makes and caches one stub per call shape, and under TCG each stub and the method-handle classes
 * behind it cost ~100 ms to spin (the AOT cache keeps none of them): with a shape per signature, the
 * first command a booted VM ran took ~1.5 s of that. This is sound on the ABIs of the guests banger boots
 * (x86-64 System V, AArch64 AAPCS64): integer and pointer arguments go in the same registers whatever
 * their declared width, a callee reads only the low bits of a narrower one, ignores registers beyond its
 * own parameters, and returns an {@code int} in the low half of the result register. Variadic functions
 * are the exception (x86-64 passes a vector-register count to them): {@link #variadic} gives them their
 * own, exact shape.
 *
 * <p>The caller keeps every segment whose address it passes alive for the call (a confined arena around
 * it), as it must for any native pointer.
 */
final class Libc {
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EAGAIN = 11;
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final String ERRNO_NAME = "errno";
    private static final Linker.Option ERRNO = Linker.Option.captureCallState(ERRNO_NAME);
    private static final long ERRNO_OFFSET = errnoOffset();
    private static final int ARGS = 6;
    /** (target, errno state, six longs) -> long: the one downcall every {@link Fn} goes through. */
    private static final MethodHandle SHAPE;

    static {
        ValueLayout[] args = new ValueLayout[ARGS];
        Arrays.fill(args, ValueLayout.JAVA_LONG);
        SHAPE = LINKER.downcallHandle(FunctionDescriptor.of(ValueLayout.JAVA_LONG, args), ERRNO);
    }

    static final Fn READ = fn("read");
    static final Fn WRITE = fn("write");
    static final Fn CLOSE = fn("close");

    private Libc() {
    }

    /** libc's (non-variadic) function {@code name}, called through the one shape. */
    static Fn fn(String name) {
        return new Fn(name, symbol(name));
    }

    /**
     * {@code ioctl(fd, request, arg)} with a pointer (or {@link MemorySegment#NULL}) as {@code arg}: the result, and
     * errno in {@code state}. ioctl is variadic after its second argument, so not through the one shape: this is its
     * one exact shape, for every ioctl the agent makes (a terminal's size, the kernel RNG's entropy and reseed), and
     * is linked at the first ioctl (a holder class), not when the agent starts.
     */
    static int ioctl(MemorySegment state, int fd, long request, MemorySegment arg) throws IOException {
        try {
            return (int) Ioctl.HANDLE.invokeExact(state, fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class Ioctl {
        static final MethodHandle HANDLE = variadic("ioctl", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.ADDRESS), 2);
    }

    /** A variadic function, with its exact descriptor; the handle's first argument is the errno state. */
    static MethodHandle variadic(String name, FunctionDescriptor fd, int firstVariadicArg) {
        return LINKER.downcallHandle(symbol(name), fd, ERRNO, Linker.Option.firstVariadicArg(firstVariadicArg));
    }

    private static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    /**
     * One libc function. {@code call} passes up to six integer-class arguments (pointers as addresses) and
     * returns the result register: cast to {@code int} for functions that return one. errno lands in
     * {@code state} ({@link #errnoState}).
     */
    record Fn(String name, MemorySegment address) {
        long call(MemorySegment state) {
            return invoke(state, 0, 0, 0, 0, 0, 0);
        }

        long call(MemorySegment state, long a) {
            return invoke(state, a, 0, 0, 0, 0, 0);
        }

        long call(MemorySegment state, long a, long b) {
            return invoke(state, a, b, 0, 0, 0, 0);
        }

        long call(MemorySegment state, long a, long b, long c) {
            return invoke(state, a, b, c, 0, 0, 0);
        }

        long call(MemorySegment state, long a, long b, long c, long d) {
            return invoke(state, a, b, c, d, 0, 0);
        }

        long call(MemorySegment state, long a, long b, long c, long d, long e, long f) {
            return invoke(state, a, b, c, d, e, f);
        }

        private long invoke(MemorySegment state, long a, long b, long c, long d, long e, long f) {
            try {
                return (long) SHAPE.invokeExact(address, state, a, b, c, d, e, f);
            } catch (RuntimeException | Error x) {
                throw x;
            } catch (Throwable x) {
                throw new IllegalStateException(name + ": " + x, x); // a downcall declares no checked exception
            }
        }
    }

    /**
     * Where errno lies in the captured state: the sizes of the members before it (a struct layout lists its
     * padding as members). Not {@code byteOffset(PathElement)}, whose layout-path machinery spins seven
     * method-handle classes that no AOT cache keeps, on the way to the first command a VM runs.
     */
    private static long errnoOffset() {
        long offset = 0;
        for (MemoryLayout member : ((StructLayout) Linker.Option.captureStateLayout()).memberLayouts()) {
            java.util.Optional<String> name = member.name();
            if (name.isPresent() && name.get().equals(ERRNO_NAME)) {
                return offset;
            }
            offset += member.byteSize();
        }
        throw new IllegalStateException("this JDK's captured call state has no errno");
    }

    static MemorySegment errnoState(Arena arena) {
        return arena.allocate(Linker.Option.captureStateLayout());
    }

    static int errno(MemorySegment state) {
        return state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }

    static void check(long rc, MemorySegment state, String what) throws IOException {
        if (rc < 0) {
            throw new IOException(what + " failed: errno " + errno(state));
        }
    }

    /** Rethrows what a downcall may throw as what the caller declares. */
    static IOException rethrow(Throwable t) {
        if (t instanceof IOException e) {
            return e;
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
