package dev.banger.daemon.rpc;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.util.HashMap;
import java.util.Map;

/**
 * Open connections counted per user, so that no user other than root can hold more than
 * {@link RpcLimits#maxPerUid()}, and all of them together no more than {@link RpcLimits#nonRootMax()}:
 * the rest of {@link RpcLimits#maxConnections()} (which the server enforces for everyone as it accepts)
 * is root's alone. A caller whose uid could not be resolved counts as one more unprivileged user.
 */
final class ConnectionQuota {
    private final RpcLimits limits;
    private final Map<Integer, Integer> perUid = new HashMap<>();
    private int nonRoot;

    ConnectionQuota(RpcLimits limits) {
        this.limits = limits;
    }

    /** Counts a connection of {@code caller}; each success needs one {@link #release}. */
    synchronized void acquire(Caller caller) {
        if (caller.isRoot()) {
            return;
        }
        int held = perUid.getOrDefault(caller.uid(), 0);
        if (held >= limits.maxPerUid()) {
            throw new BangerException(ErrorCode.RESOURCE_EXHAUSTED, "too many connections from " + caller + ": " + held
                    + " open, the most one user may hold; close idle clients and retry");
        }
        if (nonRoot >= limits.nonRootMax()) {
            throw new BangerException(ErrorCode.RESOURCE_EXHAUSTED, "too many connections: users other than root hold "
                    + nonRoot + ", the most bangerd allows them (it keeps " + limits.rootReserve()
                    + " for root); close idle clients and retry");
        }
        perUid.put(caller.uid(), held + 1);
        nonRoot++;
    }

    synchronized void release(Caller caller) {
        if (caller.isRoot()) {
            return;
        }
        perUid.computeIfPresent(caller.uid(), (uid, held) -> held > 1 ? held - 1 : null);
        nonRoot--;
    }

    /** Connections {@code uid} holds now (root's are not counted). */
    synchronized int held(int uid) {
        return perUid.getOrDefault(uid, 0);
    }
}
