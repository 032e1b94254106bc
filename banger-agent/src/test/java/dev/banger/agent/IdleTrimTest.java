package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

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
        idle.begin();
        idle.end();
        Thread.sleep(50);
        idle.begin();
        idle.end();
        Thread.sleep(120);
        assertThat(trims).as("the first schedule is stale, the second not yet due").hasValue(0);
        Thread.sleep(300);
        assertThat(trims).hasValue(1);
    }

    @Test
    void givingBackRunsHere() {
        assertThat(IdleTrim.giveBack()).as("malloc_trim called through FFM (glibc, as in the guest)").isTrue();
    }
}
