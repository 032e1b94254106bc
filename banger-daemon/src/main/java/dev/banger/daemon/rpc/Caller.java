package dev.banger.daemon.rpc;

import dev.banger.host.Accounts;
import java.util.OptionalInt;

/**
 * Who is on the other end of an RPC connection, from the kernel's peer credentials ({@code SO_PEERCRED})
 * taken when the connection was accepted. The daemon is root and its callers may not be: whatever a
 * request names on the host is read with the caller's rights, never the daemon's.
 *
 * @param uid  the caller's user id; {@link #UNKNOWN} when it could not be resolved (treated as unprivileged)
 * @param gid  the caller's primary group id, or {@link #UNKNOWN}
 * @param user the user name the kernel reported (for messages)
 */
public record Caller(int uid, int gid, String user) {
    public static final int UNKNOWN = -1;
    /** The daemon itself (reconcile, internal calls): root. */
    static final Caller DAEMON = new Caller(0, 0, "root");

    public boolean isRoot() {
        return uid == 0;
    }

    /** From the names the JDK gives for a Unix socket peer; unresolvable names give {@link #UNKNOWN} ids. */
    static Caller of(String user, String group) {
        OptionalInt uid = Accounts.uid(user);
        OptionalInt gid = Accounts.gid(group);
        return new Caller(uid.orElse(UNKNOWN), gid.orElse(UNKNOWN), user);
    }

    @Override
    public String toString() {
        return user + " (uid " + uid + ")";
    }
}
