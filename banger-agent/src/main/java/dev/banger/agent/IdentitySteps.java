package dev.banger.agent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The real steps of the {@code identity} op ({@link Identity}): the kernel's RNG and clock through libc
 * ({@link Libc}: the one call shape, and its one ioctl shape), the script through {@link Spawned}. Root only,
 * in the guest: never used by a test (it would reseed and set the clock of the machine running it), except
 * {@link #run}, the bounded script runner, on scripts of the test's own.
 */
final class IdentitySteps implements Identity.Steps {
    static final Path SCRIPT = Path.of("/usr/lib/banger/reidentify");
    /** _IOW('R', 0x03, int[2]): add bytes to the input pool and credit them (struct rand_pool_info). */
    static final long RNDADDENTROPY = 0x40085203L;
    /** _IO('R', 0x07): reseed the CRNG from the input pool now (Linux 4.17 and later; ENODATA before it is initialised). */
    static final long RNDRESEEDCRNG = 0x5207L;
    static final int CLOCK_REALTIME = 0;
    static final int EINVAL = 22;
    static final int ENOTTY = 25;
    static final int ENODATA = 61;
    private static final long NANOS = 1_000_000_000L;
    /** After the script's exit, how long its output may take to end (a process it left behind may hold the pipe). */
    private static final long OUTPUT_GRACE_MILLIS = 2_000;
    private static final long KILL_WAIT_MILLIS = 5_000;
    private static final int SIGKILL = 9;

    /** Looked up at the first identity op, not when the agent starts (which makes this class). */
    private static final class Fns {
        // fopen, not open: open is variadic (its mode), and a variadic function needs a shape, a stub, of its own.
        static final Libc.Fn FOPEN = Libc.fn("fopen");
        static final Libc.Fn FILENO = Libc.fn("fileno");
        static final Libc.Fn FCLOSE = Libc.fn("fclose");
        static final Libc.Fn CLOCK_GETTIME = Libc.fn("clock_gettime");
        static final Libc.Fn CLOCK_SETTIME = Libc.fn("clock_settime");
    }

    @Override
    public boolean reseed(byte[] entropy) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            long file = Fns.FOPEN.call(state, arena.allocateFrom("/dev/random").address(), arena.allocateFrom("re").address());
            if (file == 0) {
                throw new IOException("cannot open /dev/random: errno " + Libc.errno(state));
            }
            try {
                int fd = (int) Fns.FILENO.call(state, file);
                Libc.check(fd, state, "fileno");
                // struct rand_pool_info { int entropy_count (bits); int buf_size (bytes); __u32 buf[]; }, the header
                // copied in at once (an element store would spin a VarHandle's classes, as Spawn's comment says).
                long words = (entropy.length + 3) / 4;
                MemorySegment info = arena.allocate(8 + 4 * words, 4);
                MemorySegment.copy(new int[] {entropy.length * 8, entropy.length}, 0, info, ValueLayout.JAVA_INT, 0, 2);
                MemorySegment.copy(entropy, 0, info, ValueLayout.JAVA_BYTE, 8, entropy.length);
                int rc = Libc.ioctl(state, fd, RNDADDENTROPY, info);
                info.fill((byte) 0);
                Libc.check(rc, state, "ioctl(RNDADDENTROPY)");
                if (Libc.ioctl(state, fd, RNDRESEEDCRNG, MemorySegment.NULL) == 0) {
                    return true;
                }
                int errno = Libc.errno(state);
                if (errno == ENOTTY || errno == EINVAL || errno == ENODATA) {
                    // A kernel before 4.17 (no such ioctl), or a CRNG not initialised yet (it will be, from the
                    // pool): the bytes are in the pool either way, and the CRNG takes them on its own schedule.
                    return false;
                }
                throw new IOException("ioctl(RNDRESEEDCRNG) failed: errno " + errno);
            } finally {
                Fns.FCLOSE.call(state, file);
            }
        }
    }

    @Override
    public long setClock(long epochNanos) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            MemorySegment timespec = arena.allocate(16, 8); // struct timespec { time_t tv_sec; long tv_nsec; }
            Libc.check((int) Fns.CLOCK_GETTIME.call(state, CLOCK_REALTIME, timespec.address()), state, "clock_gettime");
            long[] before = new long[2];
            MemorySegment.copy(timespec, ValueLayout.JAVA_LONG, 0, before, 0, 2);
            MemorySegment.copy(new long[] {epochNanos / NANOS, epochNanos % NANOS}, 0, timespec, ValueLayout.JAVA_LONG, 0, 2);
            Libc.check((int) Fns.CLOCK_SETTIME.call(state, CLOCK_REALTIME, timespec.address()), state, "clock_settime");
            return epochNanos - (before[0] * NANOS + before[1]);
        }
    }

    @Override
    public Identity.Ran reidentify() throws IOException {
        return run(List.of(SCRIPT.toString()), Identity.SCRIPT_TIMEOUT_MILLIS, Identity.LOG_BYTES);
    }

    /**
     * Runs {@code argv} as root in /, stdin /dev/null, stdout and stderr into one log of which the last
     * {@code logBytes} are kept; waits at most {@code timeoutMillis}, then kills its process group (status 137
     * then, and a last line saying so). A program that cannot be run ends as a shell reports it: 127 when it is
     * not there, 126 when it cannot be executed, its message as the log.
     */
    static Identity.Ran run(List<String> argv, long timeoutMillis, int logBytes) throws IOException {
        Launch.Prepared command = new Launch.Prepared(argv, Launch.baseEnvironment("root", "/root"), "/", null);
        Spawned p;
        try {
            p = Spawned.start(command, new Spawn.Log());
        } catch (Spawn.NotStarted e) {
            if (e.errno == Spawn.ENOENT || e.errno == Spawn.EACCES || e.errno == Spawn.ENOEXEC) {
                return new Identity.Ran(e.errno == Spawn.ENOENT ? 127 : 126, "banger-agent: " + e.getMessage() + "\n");
            }
            throw e;
        }
        Tail log = new Tail(logBytes);
        // Pipe reads block in native code: a platform thread (a class, not a lambda: see Warmup).
        Thread reader = Thread.ofPlatform().daemon().name("reidentify-log").start(new Drain(p.stdout(), log));
        String note = "";
        try {
            if (!p.awaitExit(timeoutMillis)) {
                p.signalGroup(SIGKILL);
                p.awaitExit(KILL_WAIT_MILLIS);
                note = "banger-agent: " + argv.getFirst() + " did not finish within "
                        + (timeoutMillis % 1000 == 0 ? timeoutMillis / 1000 + " s" : timeoutMillis + " ms") + ": killed\n";
            }
            reader.join(OUTPUT_GRACE_MILLIS);
        } catch (InterruptedException e) {
            p.signalGroup(SIGKILL);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + argv.getFirst() + " ran");
        }
        if (reader.isAlive()) {
            // Left to end on its own (closing a descriptor another thread reads is a race with its reuse).
            note = note + "banger-agent: the output is still open (a process " + argv.getFirst() + " started holds it)\n";
        }
        return new Identity.Ran(status(p.exit()), log.text() + note);
    }

    /** The exit status once collected; -1 when it could not be (waitpid failed, or still running after the kill). */
    private static int status(CompletableFuture<Integer> exit) {
        if (!exit.isDone()) {
            return -1;
        }
        try {
            return exit.get();
        } catch (ExecutionException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The last {@code capacity} bytes written (a ring), as text. */
    static final class Tail {
        private final byte[] ring;
        private long written;

        Tail(int capacity) {
            ring = new byte[capacity];
        }

        synchronized void append(byte[] b, int len) {
            int from = Math.max(0, len - ring.length); // only the last capacity bytes can stay
            written += from;
            for (int i = from; i < len; i++) {
                ring[(int) (written++ % ring.length)] = b[i];
            }
        }

        /** The bytes kept, oldest first, decoded leniently (a character cut at the start becomes U+FFFD). */
        synchronized String text() {
            int n = (int) Math.min(written, ring.length);
            byte[] out = new byte[n];
            int start = (int) ((written - n) % ring.length);
            for (int i = 0; i < n; i++) {
                out[i] = ring[(start + i) % ring.length];
            }
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    /** Reads the script's output into its tail until the end, then closes it. */
    private static final class Drain implements Runnable {
        private final InputStream in;
        private final Tail tail;

        Drain(InputStream in, Tail tail) {
            this.in = in;
            this.tail = tail;
        }

        @Override
        public void run() {
            byte[] buf = new byte[4096];
            try (in) {
                int n;
                while ((n = in.read(buf, 0, buf.length)) > 0) {
                    tail.append(buf, n);
                }
            } catch (IOException e) {
                // the log ends here
            }
        }
    }
}
