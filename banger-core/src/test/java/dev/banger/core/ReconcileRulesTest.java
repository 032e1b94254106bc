package dev.banger.core;

import static dev.banger.core.ReconcileRules.Action.DEMOTE;
import static dev.banger.core.ReconcileRules.Action.FINISH_DELETE;
import static dev.banger.core.ReconcileRules.Action.FINISH_STOP;
import static dev.banger.core.ReconcileRules.Action.FORGET_HANDLES;
import static dev.banger.core.ReconcileRules.Action.KEEP_RUNNING;
import static dev.banger.core.ReconcileRules.Action.ADOPT;
import static dev.banger.core.ReconcileRules.Action.UNDO_CREATE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.api.VmState;
import org.junit.jupiter.api.Test;

class ReconcileRulesTest {
    @Test
    void everyStateAndLivenessHasItsAction() {
        assertThat(ReconcileRules.decide(VmState.RUNNING, true)).isEqualTo(KEEP_RUNNING);
        assertThat(ReconcileRules.decide(VmState.STARTING, true)).isEqualTo(KEEP_RUNNING);
        assertThat(ReconcileRules.decide(VmState.RUNNING, false)).isEqualTo(DEMOTE);
        assertThat(ReconcileRules.decide(VmState.STARTING, false)).isEqualTo(DEMOTE);
        assertThat(ReconcileRules.decide(VmState.STOPPING, true)).isEqualTo(FINISH_STOP);
        assertThat(ReconcileRules.decide(VmState.STOPPING, false)).isEqualTo(DEMOTE);
        assertThat(ReconcileRules.decide(VmState.STOPPED, true)).isEqualTo(ADOPT);
        assertThat(ReconcileRules.decide(VmState.ERROR, true)).isEqualTo(ADOPT);
        assertThat(ReconcileRules.decide(VmState.STOPPED, false)).isEqualTo(FORGET_HANDLES);
        assertThat(ReconcileRules.decide(VmState.ERROR, false)).isEqualTo(FORGET_HANDLES);
        for (boolean alive : new boolean[] {true, false}) {
            assertThat(ReconcileRules.decide(VmState.CREATING, alive)).isEqualTo(UNDO_CREATE);
            assertThat(ReconcileRules.decide(VmState.DELETING, alive)).isEqualTo(FINISH_DELETE);
        }
    }

    @Test
    void everyDemotionLandsInAStateTheLifecycleAllows() {
        for (VmState s : VmState.values()) {
            if (ReconcileRules.decide(s, false) == DEMOTE) {
                assertThat(VmLifecycle.allowed(s, VmState.STOPPED)).as("%s -> stopped", s).isTrue();
            }
            if (ReconcileRules.decide(s, true) == KEEP_RUNNING && s != VmState.RUNNING) {
                assertThat(VmLifecycle.allowed(s, VmState.RUNNING)).as("%s -> running", s).isTrue();
            }
        }
    }

    @Test
    void theDemotionReasonSaysWhatWasFoundAndWhatToDo() {
        assertThat(ReconcileRules.demotedReason(VmState.RUNNING, 4242)).contains("found running").contains("pid 4242")
                .contains("banger vm start");
        assertThat(ReconcileRules.demotedReason(VmState.STARTING, 0)).doesNotContain("pid");
    }
}
