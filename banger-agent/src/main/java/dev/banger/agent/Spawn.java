package dev.banger.agent;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Starts a command for the host with glibc's {@code posix_spawn}: in a new session (so its process group
 * can be signalled as one), with the environment and working directory asked for, its signals at their
 * defaults, and no descriptor of the agent's but its own three. One clone and one exec: under TCG, Java's
 * ProcessBuilder (a helper program, then {@code setsid}, then the command: three execs) cost ~200 ms a
 * command where this costs ~50.
 *
 * <p>The program is looked up on the command's own PATH, as a shell started with that environment would.
 * A program that cannot be run is an {@link IOException} carrying its errno (ENOENT, EACCES, ...).
 */
final class Spawn {
    static final int ENOENT = 2;
    static final int EACCES = 13;
    static final int ENOEXEC = 8;
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;
    /** Larger than glibc's posix_spawn_file_actions_t (80 bytes), posix_spawnattr_t (336) and sigset_t (128). */
    private static final long OPAQUE = 512;

    private static final MethodHandle PIPE2 = Libc.call("pipe2", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT));
    private static final MethodHandle WAITPID = Libc.call("waitpid", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle KILL = Libc.call("kill", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT));
    private static final MethodHandle SPAWN = Libc.plain("posix_spawn", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle FA_INIT = fn("posix_spawn_file_actions_init", ValueLayout.ADDRESS);
    private static final MethodHandle FA_DESTROY = fn("posix_spawn_file_actions_destroy", ValueLayout.ADDRESS);
    private static final MethodHandle FA_DUP2 = fn("posix_spawn_file_actions_adddup2", ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT);
    private static final MethodHandle FA_OPEN = fn("posix_spawn_file_actions_addopen", ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
    private static final MethodHandle FA_CHDIR = fn("posix_spawn_file_actions_addchdir_np", ValueLayout.ADDRESS, ValueLayout.ADDRESS);
    private static final MethodHandle FA_CLOSEFROM = fn("posix_spawn_file_actions_addclosefrom_np", ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
    private static final MethodHandle ATTR_INIT = fn("posix_spawnattr_init", ValueLayout.ADDRESS);
    private static final MethodHandle ATTR_DESTROY = fn("posix_spawnattr_destroy", ValueLayout.ADDRESS);
    private static final MethodHandle ATTR_FLAGS = fn("posix_spawnattr_setflags", ValueLayout.ADDRESS, ValueLayout.JAVA_SHORT);
    private static final MethodHandle ATTR_SIGMASK = fn("posix_spawnattr_setsigmask", ValueLayout.ADDRESS, ValueLayout.ADDRESS);
    private static final MethodHandle ATTR_SIGDEFAULT = fn("posix_spawnattr_setsigdefault", ValueLayout.ADDRESS, ValueLayout.ADDRESS);
    private static final MethodHandle SIGEMPTYSET = fn("sigemptyset", ValueLayout.ADDRESS);
    private static final MethodHandle SIGFILLSET = fn("sigfillset", ValueLayout.ADDRESS);

    /** Where the command's standard streams come from. */
    sealed interface Stdio permits Pipes, Terminal {
    }

    /** Pipes for stdout and stderr; stdin a pipe too, or /dev/null. */
    record Pipes(boolean stdin) implements Stdio {
    }

    /** All three on a terminal (a pty's slave): it becomes the new session's controlling terminal. */
    record Terminal(String slavePath) implements Stdio {
    }

    /** A started command: its pid, and the agent's ends of its pipes (-1 where there is none). */
    record Child(long pid, int stdin, int stdout, int stderr) {
    }

    /** Thrown when the program cannot be run at all; {@code errno} says why (ENOENT, EACCES, ...). */
    static final class NotStarted extends IOException {
        final int errno;

        NotStarted(String message, int errno) {
            super(message);
            this.errno = errno;
        }
    }

    private Spawn() {
    }

    private static MethodHandle fn(String name, ValueLayout... args) {
        return Libc.plain(name, FunctionDescriptor.of(ValueLayout.JAVA_INT, args));
    }

    static Child start(List<String> argv, Map<String, String> env, String cwd, Stdio stdio) throws IOException {
        String program = resolve(argv.getFirst(), env.getOrDefault("PATH", ""));
        int[] in = {-1, -1};
        int[] out = {-1, -1};
        int[] err = {-1, -1};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(OPAQUE, 16);
            MemorySegment attr = arena.allocate(OPAQUE, 16);
            check((int) FA_INIT.invokeExact(actions), "posix_spawn_file_actions_init");
            check((int) ATTR_INIT.invokeExact(attr), "posix_spawnattr_init");
            try {
                switch (stdio) {
                    case Pipes p -> {
                        if (p.stdin()) {
                            in = pipe(arena);
                            check((int) FA_DUP2.invokeExact(actions, in[0], 0), "adddup2");
                        } else {
                            check((int) FA_OPEN.invokeExact(actions, 0, arena.allocateFrom("/dev/null"), Libc.O_RDONLY, 0), "addopen");
                        }
                        out = pipe(arena);
                        err = pipe(arena);
                        check((int) FA_DUP2.invokeExact(actions, out[1], 1), "adddup2");
                        check((int) FA_DUP2.invokeExact(actions, err[1], 2), "adddup2");
                    }
                    case Terminal t -> {
                        // The first terminal a session leader opens becomes its controlling terminal.
                        MemorySegment slave = arena.allocateFrom(t.slavePath());
                        check((int) FA_OPEN.invokeExact(actions, 0, slave, Libc.O_RDWR, 0), "addopen");
                        check((int) FA_DUP2.invokeExact(actions, 0, 1), "adddup2");
                        check((int) FA_DUP2.invokeExact(actions, 0, 2), "adddup2");
                    }
                }
                check((int) FA_CLOSEFROM.invokeExact(actions, 3), "addclosefrom_np");
                check((int) FA_CHDIR.invokeExact(actions, arena.allocateFrom(cwd)), "addchdir_np");
                MemorySegment none = arena.allocate(OPAQUE, 16);
                MemorySegment all = arena.allocate(OPAQUE, 16);
                check((int) SIGEMPTYSET.invokeExact(none), "sigemptyset");
                check((int) SIGFILLSET.invokeExact(all), "sigfillset");
                check((int) ATTR_SIGMASK.invokeExact(attr, none), "setsigmask");
                check((int) ATTR_SIGDEFAULT.invokeExact(attr, all), "setsigdefault");
                check((int) ATTR_FLAGS.invokeExact(attr, (short) (POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)),
                        "setflags");
                MemorySegment pid = arena.allocate(ValueLayout.JAVA_INT);
                int rc = (int) SPAWN.invokeExact(pid, arena.allocateFrom(program), actions, attr, strings(arena, argv), strings(arena, environment(env)));
                if (rc != 0) {
                    throw new NotStarted(argv.getFirst() + ": " + describe(rc), rc);
                }
                Fds.close(in[0]);
                Fds.close(out[1]);
                Fds.close(err[1]);
                return new Child(pid.get(ValueLayout.JAVA_INT, 0), in[1], out[0], err[0]);
            } finally {
                int ignored = (int) FA_DESTROY.invokeExact(actions);
                ignored = (int) ATTR_DESTROY.invokeExact(attr);
            }
        } catch (Throwable t) {
            for (int fd : new int[] {in[0], in[1], out[0], out[1], err[0], err[1]}) {
                Fds.close(fd);
            }
            throw Libc.rethrow(t);
        }
    }

    /**
     * Waits for {@code pid} to end; its status as a shell reports it: the exit code, or 128+N when signal N
     * ended it.
     */
    static int waitFor(long pid) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            MemorySegment status = arena.allocate(ValueLayout.JAVA_INT);
            while (true) {
                int rc = (int) WAITPID.invokeExact(state, (int) pid, status, 0);
                if (rc < 0 && Libc.errno(state) == Libc.EINTR) {
                    continue;
                }
                Libc.check(rc, state, "waitpid");
                return exitStatus(status.get(ValueLayout.JAVA_INT, 0));
            }
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** A wait status as a shell's {@code $?}. */
    static int exitStatus(int status) {
        int signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }

    /** Sends {@code signal} to the process group {@code pgid} (a spawned command's, which is its pid); false when it is gone. */
    static boolean signalGroup(long pgid, int signal) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) KILL.invokeExact(Libc.errnoState(arena), (int) -pgid, signal) == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /** {@code name} as a shell finds it on {@code path}: itself when it has a '/', else the first executable file. */
    static String resolve(String name, String path) throws NotStarted {
        if (name.contains("/")) {
            return name;
        }
        for (String dir : path.split(":", -1)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new NotStarted(name + ": No such file or directory (not found on PATH=" + path + ")", ENOENT);
    }

    private static String describe(int errno) {
        return switch (errno) {
            case ENOENT -> "No such file or directory";
            case EACCES -> "Permission denied";
            case ENOEXEC -> "Exec format error";
            case 20 -> "Not a directory";
            default -> "cannot be run (errno " + errno + ")";
        };
    }

    private static int[] pipe(Arena arena) throws IOException {
        MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
        MemorySegment state = Libc.errnoState(arena);
        try {
            Libc.check((int) PIPE2.invokeExact(state, fds, Libc.O_CLOEXEC), state, "pipe2");
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
        return new int[] {fds.get(ValueLayout.JAVA_INT, 0), fds.get(ValueLayout.JAVA_INT, 4)};
    }

    private static List<String> environment(Map<String, String> env) {
        return env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    }

    /** A NULL-terminated array of C strings. */
    private static MemorySegment strings(Arena arena, List<String> values) {
        MemorySegment array = arena.allocate(ValueLayout.ADDRESS, values.size() + 1L);
        for (int i = 0; i < values.size(); i++) {
            array.setAtIndex(ValueLayout.ADDRESS, i, arena.allocateFrom(values.get(i)));
        }
        array.setAtIndex(ValueLayout.ADDRESS, values.size(), MemorySegment.NULL);
        return array;
    }

    private static void check(int rc, String what) throws IOException {
        if (rc != 0) {
            throw new IOException(what + " failed: error " + rc);
        }
    }
}
