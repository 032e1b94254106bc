package dev.banger.channel;

/**
 * The records of an exec stream ({@link Records}). The host opens the stream with the command's request
 * (argv, environment, working directory, user, tty); then:
 * <ul>
 *   <li>host to guest: {@link #STDIN} bytes, {@link #STDIN_EOF}, {@link #SIGNAL} (u32 signal number, sent
 *       to the command's process group), {@link #RESIZE} (two u32: rows, columns);</li>
 *   <li>guest to host: {@link #STARTED} (u32 pid), {@link #STDOUT} and {@link #STDERR} bytes (a tty
 *       sends all its output as STDOUT), {@link #EXIT} (u32 status: the command's exit code, 128+N when
 *       signal N killed it, 127 when it could not be found), {@link #ERROR} (text: the command could not be
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

    private Exec() {
    }

    /** The payload of a {@link #RESIZE}: rows, then columns, each u32. */
    public static byte[] resize(int rows, int cols) {
        byte[] r = Records.u32(rows);
        byte[] c = Records.u32(cols);
        return new byte[] {r[0], r[1], r[2], r[3], c[0], c[1], c[2], c[3]};
    }
}
