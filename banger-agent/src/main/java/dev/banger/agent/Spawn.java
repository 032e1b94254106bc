package dev.banger.agent;

import dev.banger.channel.Exec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

    private static final Libc.Fn PIPE2 = Libc.fn("pipe2");
    private static final Libc.Fn WAITPID = Libc.fn("waitpid");
    private static final Libc.Fn KILL = Libc.fn("kill");
    private static final Libc.Fn SPAWN = Libc.fn("posix_spawn");
    private static final Libc.Fn FA_INIT = Libc.fn("posix_spawn_file_actions_init");
    private static final Libc.Fn FA_DESTROY = Libc.fn("posix_spawn_file_actions_destroy");
    private static final Libc.Fn FA_DUP2 = Libc.fn("posix_spawn_file_actions_adddup2");
    private static final Libc.Fn FA_OPEN = Libc.fn("posix_spawn_file_actions_addopen");
    private static final Libc.Fn FA_CHDIR = Libc.fn("posix_spawn_file_actions_addchdir_np");
    private static final Libc.Fn FA_CLOSEFROM = Libc.fn("posix_spawn_file_actions_addclosefrom_np");
    private static final Libc.Fn ATTR_INIT = Libc.fn("posix_spawnattr_init");
    private static final Libc.Fn ATTR_DESTROY = Libc.fn("posix_spawnattr_destroy");
    private static final Libc.Fn ATTR_FLAGS = Libc.fn("posix_spawnattr_setflags");
    private static final Libc.Fn ATTR_SIGMASK = Libc.fn("posix_spawnattr_setsigmask");
    private static final Libc.Fn ATTR_SIGDEFAULT = Libc.fn("posix_spawnattr_setsigdefault");
    private static final Libc.Fn SIGEMPTYSET = Libc.fn("sigemptyset");
    private static final Libc.Fn SIGFILLSET = Libc.fn("sigfillset");

    /** Where the command's standard streams come from. */
    sealed interface Stdio permits Pipes, Terminal, Log {
    }

    /** Pipes for stdout and stderr; stdin a pipe too, or /dev/null. */
    record Pipes(boolean stdin) implements Stdio {
    }

    /** All three on a terminal (a pty's slave): it becomes the new session's controlling terminal. */
    record Terminal(String slavePath) implements Stdio {
    }

    /** stdin /dev/null, stdout and stderr into one pipe: a log, read in the order it was written. */
    record Log() implements Stdio {
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

    static Child start(List<String> argv, Map<String, String> env, String cwd, Stdio stdio) throws IOException {
        String program = resolve(argv.getFirst(), env.getOrDefault("PATH", ""));
        int[] in = {-1, -1};
        int[] out = {-1, -1};
        int[] err = {-1, -1};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            long actions = arena.allocate(OPAQUE, 16).address();
            long attr = arena.allocate(OPAQUE, 16).address();
            check(FA_INIT.call(state, actions), "posix_spawn_file_actions_init");
            check(ATTR_INIT.call(state, attr), "posix_spawnattr_init");
            try {
                // instanceof, not a pattern switch (whose bootstrap spins a class on the first command under TCG)
                if (stdio instanceof Pipes p) {
                    if (p.stdin()) {
                        in = pipe(arena);
                        check(FA_DUP2.call(state, actions, in[0], 0), "adddup2");
                    } else {
                        check(FA_OPEN.call(state, actions, 0, cString(arena, "/dev/null"), Libc.O_RDONLY, 0, 0), "addopen");
                    }
                    out = pipe(arena);
                    err = pipe(arena);
                    check(FA_DUP2.call(state, actions, out[1], 1), "adddup2");
                    check(FA_DUP2.call(state, actions, err[1], 2), "adddup2");
                } else if (stdio instanceof Terminal t) {
                    // The first terminal a session leader opens becomes its controlling terminal.
                    check(FA_OPEN.call(state, actions, 0, cString(arena, t.slavePath()), Libc.O_RDWR, 0, 0), "addopen");
                    check(FA_DUP2.call(state, actions, 0, 1), "adddup2");
                    check(FA_DUP2.call(state, actions, 0, 2), "adddup2");
                } else if (stdio instanceof Log) {
                    check(FA_OPEN.call(state, actions, 0, cString(arena, "/dev/null"), Libc.O_RDONLY, 0, 0), "addopen");
                    out = pipe(arena);
                    check(FA_DUP2.call(state, actions, out[1], 1), "adddup2");
                    check(FA_DUP2.call(state, actions, out[1], 2), "adddup2");
                }
                check(FA_CLOSEFROM.call(state, actions, 3), "addclosefrom_np");
                check(FA_CHDIR.call(state, actions, cString(arena, cwd)), "addchdir_np");
                long none = arena.allocate(OPAQUE, 16).address();
                long all = arena.allocate(OPAQUE, 16).address();
                check(SIGEMPTYSET.call(state, none), "sigemptyset");
                check(SIGFILLSET.call(state, all), "sigfillset");
                check(ATTR_SIGMASK.call(state, attr, none), "setsigmask");
                check(ATTR_SIGDEFAULT.call(state, attr, all), "setsigdefault");
                check(ATTR_FLAGS.call(state, attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF), "setflags");
                MemorySegment pid = arena.allocate(ValueLayout.JAVA_INT);
                int rc = (int) SPAWN.call(state, pid.address(), cString(arena, program), actions, attr, strings(arena, argv),
                        strings(arena, environment(env)));
                if (rc != 0) {
                    throw new NotStarted(argv.getFirst() + ": " + describe(rc), rc);
                }
                Fds.close(in[0]);
                Fds.close(out[1]);
                Fds.close(err[1]);
                return new Child(pid.get(ValueLayout.JAVA_INT, 0), in[1], out[0], err[0]);
            } finally {
                FA_DESTROY.call(state, actions);
                ATTR_DESTROY.call(state, attr);
            }
        } catch (IOException | RuntimeException | Error e) {
            for (int fd : new int[] {in[0], in[1], out[0], out[1], err[0], err[1]}) {
                Fds.close(fd);
            }
            throw e;
        }
    }

    /**
     * Waits for {@code pid} to end; how it ended: the exit code, or signal N (its status then 128+N, as a shell
     * reports it).
     */
    static Exec.Exit waitFor(long pid) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            MemorySegment status = arena.allocate(ValueLayout.JAVA_INT);
            while (true) {
                int rc = (int) WAITPID.call(state, pid, status.address(), 0);
                if (rc < 0 && Libc.errno(state) == Libc.EINTR) {
                    continue;
                }
                Libc.check(rc, state, "waitpid");
                return exit(status.get(ValueLayout.JAVA_INT, 0));
            }
        }
    }

    /**
     * A wait status (of a process that ended: waitpid without WUNTRACED) as an exit: WTERMSIG in the low 7 bits, else
     * WEXITSTATUS in the next 8. The core-dump bit (0x80) is not carried.
     */
    static Exec.Exit exit(int status) {
        int signal = status & 0x7f;
        return signal == 0 ? Exec.Exit.code((status >> 8) & 0xff) : Exec.Exit.killedBy(signal);
    }

    /** Sends {@code signal} to the process group {@code pgid} (a spawned command's, which is its pid); false when it is gone. */
    static boolean signalGroup(long pgid, int signal) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) KILL.call(Libc.errnoState(arena), -pgid, signal) == 0;
        } catch (RuntimeException | Error t) {
            return false;
        }
    }

    /**
     * {@code kill(pid, signal)} to one process (a pid above 1: never 0, -1 or init, which kill would take for a
     * group, every process, or init); 0 when sent, else the errno (ESRCH: no such process). Signal 0 sends nothing
     * and only checks (the warm-up's use).
     */
    static int signalProcess(long pid, int signal) {
        if (pid <= 1) {
            throw new IllegalArgumentException("not a process to signal: " + pid);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            return (int) KILL.call(state, pid, signal) == 0 ? 0 : Libc.errno(state);
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
        Libc.check((int) PIPE2.call(state, fds.address(), Libc.O_CLOEXEC), state, "pipe2");
        return new int[] {fds.get(ValueLayout.JAVA_INT, 0), fds.get(ValueLayout.JAVA_INT, 4)};
    }

    private static List<String> environment(Map<String, String> env) {
        return env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    }

    /**
     * The address of a NULL-terminated array of C strings, allocated in {@code arena}. The pointers are gathered as
     * longs and copied in at once (pointers travel as longs, see {@link Libc}): an address-typed element store goes
     * through a VarHandle whose method-handle forms the AOT cache does not keep (four classes spun on the first
     * command).
     */
    private static long strings(Arena arena, List<String> values) {
        long[] pointers = new long[values.size() + 1]; // the last stays 0: NULL
        for (int i = 0; i < values.size(); i++) {
            pointers[i] = arena.allocateFrom(values.get(i)).address();
        }
        MemorySegment array = arena.allocate(ValueLayout.JAVA_LONG, pointers.length);
        MemorySegment.copy(pointers, 0, array, ValueLayout.JAVA_LONG, 0, pointers.length);
        return array.address();
    }

    /** The address of {@code s} as a C string, allocated in {@code arena}. */
    private static long cString(Arena arena, String s) {
        return arena.allocateFrom(s).address();
    }

    /** posix_spawn's helpers return 0 or an error number (in the low half of the result register). */
    private static void check(long result, String what) throws IOException {
        int rc = (int) result;
        if (rc != 0) {
            throw new IOException(what + " failed: error " + rc);
        }
    }
}
