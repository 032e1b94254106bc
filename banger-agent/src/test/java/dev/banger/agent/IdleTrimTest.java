package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IdleTrimTest {
    private final AtomicInteger trims = new AtomicInteger();
    private final IdleTrim idle = new IdleTrim(150, trims::incrementAndGet);

    @Test
    void trimsOnceAfterTheLastRequestEndsAndTheAgentStaysQuiet() throws Exception {
        idle.begin();
        idle.begin();
        idle.end();
        Thread.sleep(400);
        assertThat(trims).as("a request still runs").hasValue(0);
        idle.end();
        Thread.sleep(400);
        assertThat(trims).hasValue(1);
        Thread.sleep(300);
        assertThat(trims).as("once per idle period").hasValue(1);
    }

    @Test
    void aRequestDuringTheQuietPeriodPutsTheTrimOff() throws Exception {
        IdleTrim slow = new IdleTrim(400, trims::incrementAndGet);
        slow.begin();
        slow.end();
        long firstEnd = System.nanoTime();
        Thread.sleep(200);
        slow.begin();
        slow.end();
        long secondEnd = System.nanoTime();
        Thread.sleep(300);
        int seen = trims.get();
        long sinceFirst = (System.nanoTime() - firstEnd) / 1_000_000;
        long sinceSecond = (System.nanoTime() - secondEnd) / 1_000_000;
        // Only meaningful when the clock fell between the two schedules: a host too loaded to keep these sleeps says nothing.
        assumeTrue(sinceFirst > 400 && sinceSecond < 380, "the sleeps overran (" + sinceFirst + " and " + sinceSecond + " ms)");
        assertThat(seen).as("the first schedule is stale, the second not yet due").isZero();
        Thread.sleep(500);
        assertThat(trims).hasValue(1);
    }

    @Test
    void givingBackRunsHere() {
        assertThat(IdleTrim.giveBack()).as("malloc_trim called through FFM (glibc, as in the guest)").isTrue();
    }
}
