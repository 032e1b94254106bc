package dev.banger.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.rpc.ConnectionDeadline.Action;
import dev.banger.daemon.rpc.ConnectionDeadline.Phase;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The deadline rules on a clock the test sets (nanoseconds; the timeouts are 10 s per line, 60 s idle). */
class ConnectionDeadlineTest {
    private static final long S = 1_000_000_000L;
    private static final Duration GRACE = Duration.ofSeconds(2);
    /** An arbitrary start: nanoTime values may be anything, negative included. */
    private static final long T0 = -5 * S;

    private final ConnectionDeadline deadline = new ConnectionDeadline(Duration.ofSeconds(10), Duration.ofSeconds(60), T0);

    @Test
    void aNewConnectionMayStayQuietForTheIdleTimeoutThenIsCutOff() {
        assertThat(deadline.check(T0 + 59 * S, GRACE)).isEqualTo(Action.NOTHING);
        assertThat(deadline.missed()).isNull();

        assertThat(deadline.check(T0 + 60 * S, GRACE)).isEqualTo(Action.CUT_OFF);
        assertThat(deadline.missed()).isEqualTo(Phase.IDLE);
        assertThat(deadline.check(T0 + 61 * S, GRACE)).as("cut off once").isEqualTo(Action.NOTHING);
    }

    @Test
    void aBegunLineMustBeCompleteWithinTheLineTimeout() {
        deadline.lineStarted(T0 + 30 * S);

        assertThat(deadline.check(T0 + 39 * S, GRACE)).isEqualTo(Action.NOTHING);
        assertThat(deadline.check(T0 + 40 * S, GRACE)).isEqualTo(Action.CUT_OFF);
        assertThat(deadline.missed()).isEqualTo(Phase.LINE);
    }

    @Test
    void aLineBegunJustBeforeTheIdleTimeoutStillGetsItsWholeLineTimeout() {
        deadline.lineStarted(T0 + 59 * S);

        assertThat(deadline.check(T0 + 68 * S, GRACE)).isEqualTo(Action.NOTHING);
    }

    @Test
    void blankLinesDoNotResetTheIdleClock() {
        deadline.lineStarted(T0 + 50 * S);
        assertThat(deadline.blankLine()).isTrue();

        assertThat(deadline.check(T0 + 60 * S, GRACE)).as("idle since the connection, blank line or not").isEqualTo(Action.CUT_OFF);
        assertThat(deadline.missed()).isEqualTo(Phase.IDLE);
    }

    @Test
    void noDeadlineWhileARequestIsServedAndAFreshIdlePeriodAfterIt() {
        deadline.lineStarted(T0 + S);
        assertThat(deadline.serving()).isTrue();
        assertThat(deadline.check(T0 + 3600 * S, GRACE)).as("an hour-long vm start is not cut off").isEqualTo(Action.NOTHING);

        assertThat(deadline.awaitRequest(T0 + 3600 * S)).isTrue();
        assertThat(deadline.check(T0 + 3659 * S, GRACE)).isEqualTo(Action.NOTHING);
        assertThat(deadline.check(T0 + 3660 * S, GRACE)).isEqualTo(Action.CUT_OFF);
    }

    @Test
    void onceMissedTheConnectionCannotMoveOnAndIsClosedAfterTheGrace() {
        deadline.lineStarted(T0);
        assertThat(deadline.check(T0 + 10 * S, GRACE)).isEqualTo(Action.CUT_OFF);

        assertThat(deadline.serving()).as("a line completed after the cut-off is not served").isFalse();
        assertThat(deadline.blankLine()).isFalse();
        assertThat(deadline.awaitRequest(T0 + 11 * S)).isFalse();
        assertThat(deadline.missed()).isEqualTo(Phase.LINE);
        assertThat(deadline.check(T0 + 12 * S, GRACE)).as("within the grace").isEqualTo(Action.NOTHING);
        assertThat(deadline.check(T0 + 12 * S + 1, GRACE)).isEqualTo(Action.CLOSE);
    }
}
