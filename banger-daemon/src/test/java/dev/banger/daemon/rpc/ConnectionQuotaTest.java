package dev.banger.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConnectionQuotaTest {
    /** 10 connections in all, 4 of them root's alone, 3 per other user. */
    private final ConnectionQuota quota = new ConnectionQuota(new RpcLimits(1024, 10, 4, 3, Duration.ofSeconds(1), Duration.ofSeconds(1)));

    private static Caller user(int uid) {
        return new Caller(uid, uid, "u" + uid);
    }

    @Test
    void aUserMayHoldUpToTheCapAndIsToldSoBeyondIt() {
        for (int i = 0; i < 3; i++) {
            quota.acquire(user(1000));
        }

        assertThatThrownBy(() -> quota.acquire(user(1000)))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED))
                .hasMessage("too many connections from u1000 (uid 1000): 3 open, the most one user may hold; close idle clients and retry");
        assertThat(quota.held(1000)).isEqualTo(3);
        quota.acquire(user(1001)); // another user is not affected
    }

    @Test
    void releasingMakesRoomAgain() {
        for (int i = 0; i < 3; i++) {
            quota.acquire(user(1000));
        }
        quota.release(user(1000));

        quota.acquire(user(1000));
        assertThat(quota.held(1000)).isEqualTo(3);
    }

    @Test
    void usersOtherThanRootTogetherLeaveRootsReserve() {
        quota.acquire(user(1000));
        quota.acquire(user(1000));
        quota.acquire(user(1000));
        quota.acquire(user(1001));
        quota.acquire(user(1001));
        quota.acquire(user(1001));

        assertThatThrownBy(() -> quota.acquire(user(1002)))
                .isInstanceOf(BangerException.class)
                .hasMessageContaining("users other than root hold 6, the most bangerd allows them (it keeps 4 for root)");
        for (int i = 0; i < 20; i++) {
            quota.acquire(Caller.DAEMON); // root: never refused here (the server's total cap still applies)
        }
        quota.release(user(1001));
        quota.acquire(user(1002));
    }

    @Test
    void anUnresolvedCallerIsCountedAsAnUnprivilegedUser() {
        Caller unknown = new Caller(Caller.UNKNOWN, Caller.UNKNOWN, "unknown");
        for (int i = 0; i < 3; i++) {
            quota.acquire(unknown);
        }

        assertThatThrownBy(() -> quota.acquire(unknown)).isInstanceOf(BangerException.class);
    }
}
