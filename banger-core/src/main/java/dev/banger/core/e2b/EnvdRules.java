package dev.banger.core.e2b;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * Pure decisions of banger's envd translation (E2B's in-sandbox API): which guest user a call acts as, where its paths
 * point, what a signed file URL's signature is, and how long a stream may stay silent or run.
 */
public final class EnvdRules {
    /** The account the SDK runs commands as since envd 0.4.0 (banger's image has it, uid 1000). */
    public static final String DEFAULT_USER = "user";
    /** The port the SDK names envd by ({@code E2b-Sandbox-Port}, and {@code 49983-ID.DOMAIN}). */
    public static final int ENVD_PORT = 49983;
    /** What the SDK asks for (Keepalive-Ping-Interval: 50); its HTTP client gives up on a body silent for 300 s. */
    public static final int DEFAULT_KEEPALIVE_SECONDS = 50;
    public static final int MAX_KEEPALIVE_SECONDS = 240;
    /** A Connect deadline longer than a day is taken as a day. */
    public static final long MAX_DEADLINE_MILLIS = 86_400_000L;
    public static final int MAX_PATH = 4096;
    private static final Pattern USER = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");

    private EnvdRules() {
    }

    /**
     * The guest user of a call: the SDK sends {@code Authorization: Basic base64(USER:)} when a user is chosen, nothing
     * otherwise (then {@link #DEFAULT_USER}). A malformed header or a name that is not a Linux account name is refused.
     */
    public static String user(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return DEFAULT_USER;
        }
        String[] parts = authorization.strip().split(" +", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Basic")) {
            throw new IllegalArgumentException("Authorization must be 'Basic base64(USER:)', as the SDK sends it");
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Authorization's credentials are not base64");
        }
        int colon = decoded.indexOf(':');
        return checkUser(colon < 0 ? decoded : decoded.substring(0, colon));
    }

    /** A user named in a query ({@code username}); absent or empty: the default user. */
    public static String queryUser(String username) {
        return username == null || username.isEmpty() ? DEFAULT_USER : checkUser(username);
    }

    private static String checkUser(String name) {
        if (!USER.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + name + "' is not a user name (lower case letters, digits, '_' and '-', at most 32)");
        }
        return name;
    }

    /** The home directory of a guest user, as banger's images make them. */
    public static String home(String user) {
        return user.equals("root") ? "/root" : "/home/" + user;
    }

    /**
     * A path as envd reads it: absolute as given; {@code ~} and {@code ~/...} and relative paths under the user's home.
     * Empty, NUL-bearing or overlong paths are refused.
     */
    public static String resolve(String path, String user) {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("a path is required");
        }
        if (path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a path cannot contain NUL");
        }
        String resolved;
        if (path.startsWith("/")) {
            resolved = path;
        } else if (path.equals("~")) {
            resolved = home(user);
        } else if (path.startsWith("~/")) {
            resolved = home(user) + path.substring(1);
        } else {
            resolved = home(user) + "/" + path;
        }
        if (resolved.length() > MAX_PATH) {
            throw new IllegalArgumentException("a path is at most " + MAX_PATH + " characters");
        }
        return resolved;
    }

    /**
     * The signature the SDK puts on {@code uploadUrl()}/{@code downloadUrl()}: {@code v1_} and the unpadded base64 of
     * SHA-256 over {@code PATH:OPERATION:USER:TOKEN[:EXPIRATION]} (operation {@code read} or {@code write}; user empty
     * when none was chosen).
     */
    public static String signature(String path, String operation, String user, String token, Long expiration) {
        String raw = path + ":" + operation + ":" + (user == null ? "" : user) + ":" + token
                + (expiration == null ? "" : ":" + expiration);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(raw.getBytes(StandardCharsets.UTF_8));
            return "v1_" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** A signature's expiration ({@code signature_expiration}, Unix seconds): absent, or a number. */
    public static Long expiration(String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("signature_expiration must be Unix seconds");
        }
    }

    /** Whether a signature with that expiration is still good at {@code nowSeconds} (none: forever, as envd has it). */
    public static boolean unexpired(Long expiration, long nowSeconds) {
        return expiration == null || expiration >= nowSeconds;
    }

    /** The keepalive interval a stream asked for ({@code Keepalive-Ping-Interval}, seconds), bounded so the SDK never times out. */
    public static int keepaliveSeconds(String header) {
        if (header == null || header.isBlank()) {
            return DEFAULT_KEEPALIVE_SECONDS;
        }
        try {
            int asked = Integer.parseInt(header.strip());
            return Math.max(1, Math.min(asked, MAX_KEEPALIVE_SECONDS));
        } catch (NumberFormatException e) {
            return DEFAULT_KEEPALIVE_SECONDS;
        }
    }

    /** A call's deadline from {@code Connect-Timeout-Ms}: none when absent or 0 (the SDK's "no timeout"). */
    public static OptionalLong deadlineMillis(String header) {
        if (header == null || header.isBlank()) {
            return OptionalLong.empty();
        }
        long ms;
        try {
            ms = Long.parseLong(header.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Connect-Timeout-Ms must be a number of milliseconds");
        }
        if (ms < 0) {
            throw new IllegalArgumentException("Connect-Timeout-Ms cannot be negative");
        }
        return ms == 0 ? OptionalLong.empty() : OptionalLong.of(Math.min(ms, MAX_DEADLINE_MILLIS));
    }

    /**
     * Go's names of Linux's signals (syscall.Signal.String() on linux/amd64): envd's end event names a signal as its
     * os.ProcessState.String() does, "signal: killed"; a number without a name there is "signal N".
     */
    private static final String[] GO_SIGNAL_NAMES = {null, "hangup", "interrupt", "quit", "illegal instruction", "trace/breakpoint trap",
        "aborted", "bus error", "floating point exception", "killed", "user defined signal 1", "segmentation fault", "user defined signal 2",
        "broken pipe", "alarm clock", "terminated", "stack fault", "child exited", "continued", "stopped (signal)", "stopped",
        "stopped (tty input)", "stopped (tty output)", "urgent I/O condition", "CPU time limit exceeded", "file size limit exceeded",
        "virtual timer expired", "profiling timer expired", "window changed", "I/O possible", "power failure", "bad system call"};

    /** A process's end as envd's EndEvent says it: {@code error} is null when the process exited 0. */
    public record End(int exitCode, boolean exited, String status, String error) {
    }

    /**
     * The end event of a process that exited with {@code status}, or that {@code signal} ended (1-64; 0: none), as envd
     * makes it from Go's os.ProcessState: signalled, exitCode -1 (ExitCode()), exited false, status "signal: NAME"
     * (String()); else its code, exited true, "exit status N". error is cmd.Wait()'s error text, the same string, for any
     * end but exit 0. (A core dump's " (core dumped)" is not known here: the agent does not carry it.)
     */
    public static End end(int status, int signal) {
        if (signal >= 1 && signal <= 64) {
            String s = "signal: " + (signal < GO_SIGNAL_NAMES.length ? GO_SIGNAL_NAMES[signal] : "signal " + signal);
            return new End(-1, false, s, s);
        }
        String s = "exit status " + status;
        return new End(status, true, s, status == 0 ? null : s);
    }
}
