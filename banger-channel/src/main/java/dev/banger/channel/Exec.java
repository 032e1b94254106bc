package dev.banger.channel;

import java.io.IOException;
import java.util.Arrays;

/**
 * The records of an exec stream ({@link Records}). The host opens the stream with the command's request
 * (argv, environment, working directory, user, tty); then:
 * <ul>
 *   <li>host to guest: {@link #STDIN} bytes, {@link #STDIN_EOF}, {@link #SIGNAL} (u32 signal number, sent
 *       to the command's process group), {@link #RESIZE} (two u32: rows, columns);</li>
 *   <li>guest to host: {@link #STARTED} (u32 pid), {@link #STDOUT} and {@link #STDERR} bytes (a tty
 *       sends all its output as STDOUT), {@link #EXIT} ({@link Exit}: u32 status, the command's exit code, 128+N
 *       when signal N killed it, 127 when it could not be found; then u32 N when signal N killed it and the request
 *       asked for it with {@link #EXIT_SIGNAL_FIELD}), {@link #ERROR} (text: the command could not be
 *       started at all; the stream ends after it), {@link #NOTICE} (text for the person at the client, not
 *       the command's output: e.g. that a detached process's older output was dropped).</li>
 * </ul>
 * Unknown types are ignored by both sides (a newer peer may send more), never an error.
 */
public final class Exec {
    public static final int STDIN = 1;
    public static final int STDIN_EOF = 2;
    public static final int SIGNAL = 3;
    public static final int RESIZE = 4;
    /**
     * A client of {@code vm.task_attach} to bangerd only (the agent never gets it): u64 stdout, u64 stderr, big-endian:
     * the positions up to which the client has handed each stream on (written it where it goes). bangerd keeps them, and
     * an attach that asks to resume starts there; so a client that restarts writes again at most what it had not yet
     * reported.
     */
    public static final int DELIVERED = 5;

    public static final int STARTED = 16;
    public static final int STDOUT = 17;
    public static final int STDERR = 18;
    public static final int EXIT = 19;
    public static final int ERROR = 20;
    public static final int NOTICE = 21;
    /**
     * bangerd to a client of {@code vm.task_attach} only (the agent never sends it): u8 stream (1 stdout, 2 stderr),
     * u64 big-endian: the absolute byte position in that stream of the next bytes sent, when it is not where the
     * client's count stands (output it asked for was dropped before it could be read).
     */
    public static final int POSITION = 22;

    /**
     * The request field ({@code "exit_signal": true}) by which the host says it reads an {@link #EXIT} that carries the
     * signal. Why a field of the request and not a new channel protocol: the channel's version covers its frames, whose
     * streams carry opaque bytes; the exec records are the conversation's own, and its request is already where the two
     * sides meet. An agent built before this field ignores it (requests are read by key) and sends the 4-byte EXIT; a
     * host that does not send it (one built before) gets the 4-byte EXIT from a newer agent, which is all its reader
     * takes ({@link Records#u32(byte[])} refuses any other length). So every pairing of old and new keeps working.
     */
    public static final String EXIT_SIGNAL_FIELD = "exit_signal";
    /** The highest signal number Linux has (SIGRTMAX); a guest's number above it, or below 1, is no signal. */
    public static final int MAX_SIGNAL = 64;
    /** What a shell adds to a signal's number to make the status of a process it ended. */
    public static final int SIGNAL_BASE = 128;

    private Exec() {
    }

    /**
     * An {@link #EXIT}: {@code status} as a shell's {@code $?} reports it (the exit code, or 128+N when signal N ended the
     * process) and {@code signal}, N, or 0 when no signal ended it (or an older agent did not say). The status keeps the
     * shell's form even with the signal beside it, so that a reader that takes only the first four bytes reads what it
     * always did. The only way to build one from a peer's bytes is {@link #read}, which never lets a signal through that
     * is not one: the guest is untrusted.
     */
    public record Exit(int status, int signal) {
        public Exit {
            if (signal != 0 && !agrees(status, signal)) {
                throw new IllegalArgumentException("signal " + signal + " with status " + status + ": a signal is 1 to " + MAX_SIGNAL
                        + " and its status 128 + signal");
            }
        }

        /** A process that ended by itself with {@code status}. */
        public static Exit code(int status) {
            return new Exit(status, 0);
        }

        /** A process signal {@code signal} ended. */
        public static Exit killedBy(int signal) {
            return new Exit(SIGNAL_BASE + signal, signal);
        }

        /**
         * What a peer reported: {@code signal} kept only when it is one (1 to {@link #MAX_SIGNAL}) and agrees with
         * {@code status} (128 + signal); anything else is taken as no signal, the status as given.
         */
        public static Exit reported(int status, long signal) {
            return signal >= 1 && signal <= MAX_SIGNAL && agrees(status, (int) signal) ? new Exit(status, (int) signal) : code(status);
        }

        private static boolean agrees(int status, int signal) {
            return signal >= 1 && signal <= MAX_SIGNAL && status == SIGNAL_BASE + signal;
        }

        public boolean signalled() {
            return signal != 0;
        }

        /**
         * The EXIT payload: the u32 status, then, when a signal ended the process and the reader asked for it
         * ({@code withSignal}), the u32 signal.
         */
        public byte[] payload(boolean withSignal) {
            byte[] s = Records.u32(status);
            if (!withSignal || !signalled()) {
                return s;
            }
            byte[] n = Records.u32(signal);
            return new byte[] {s[0], s[1], s[2], s[3], n[0], n[1], n[2], n[3]};
        }

        /** An EXIT payload: 4 bytes (the status) or 8 (then the signal, kept as {@link #reported} says); IOException otherwise. */
        public static Exit read(byte[] payload) throws IOException {
            if (payload.length == 4) {
                return code(Records.u32(payload));
            }
            if (payload.length != 8) {
                throw new IOException("an exit record of " + payload.length + " bytes: 4 or 8 were expected");
            }
            int status = Records.u32(Arrays.copyOfRange(payload, 0, 4));
            return reported(status, Integer.toUnsignedLong(Records.u32(Arrays.copyOfRange(payload, 4, 8))));
        }
    }

    /** The payload of a {@link #RESIZE}: rows, then columns, each u32. */
    public static byte[] resize(int rows, int cols) {
        byte[] r = Records.u32(rows);
        byte[] c = Records.u32(cols);
        return new byte[] {r[0], r[1], r[2], r[3], c[0], c[1], c[2], c[3]};
    }
}
