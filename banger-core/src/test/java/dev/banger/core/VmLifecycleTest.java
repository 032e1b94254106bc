package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmState;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class VmLifecycleTest {
    /** Every allowed transition, "from>to". Anything not listed is forbidden. */
    private static final Set<String> ALLOWED = Set.of(
            "creating>stopped", "creating>error", "creating>deleting",
            "stopped>starting", "stopped>deleting",
            "starting>running", "starting>error", "starting>stopped", "starting>stopping", "starting>deleting",
            "running>stopping", "running>stopped", "running>error", "running>deleting",
            "stopping>stopped", "stopping>error", "stopping>deleting",
            "error>starting", "error>stopped", "error>deleting",
            "deleting>deleting");

    static Stream<Arguments> everyPair() {
        List<Arguments> out = new ArrayList<>();
        for (VmState from : VmState.values()) {
            for (VmState to : VmState.values()) {
                out.add(Arguments.of(from, to));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("everyPair")
    void transitionTable(VmState from, VmState to) {
        boolean expected = ALLOWED.contains(from.wireName() + ">" + to.wireName());
        assertThat(VmLifecycle.allowed(from, to)).isEqualTo(expected);
        if (expected) {
            assertThatCode(() -> VmLifecycle.check("web", from, to)).doesNotThrowAnyException();
        } else {
            assertThatThrownBy(() -> VmLifecycle.check("web", from, to))
                    .isInstanceOf(BangerException.class)
                    .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
                    .hasMessage("VM 'web' is " + from.wireName() + " and cannot become " + to.wireName());
        }
    }

    @ParameterizedTest
    @EnumSource(VmState.class)
    void everyStateCanBeDeleted(VmState from) {
        assertThat(VmLifecycle.allowed(from, VmState.DELETING)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = VmState.class, names = "DELETING", mode = EnumSource.Mode.EXCLUDE)
    void nothingComesBackFromDeleting(VmState to) {
        assertThat(VmLifecycle.allowed(VmState.DELETING, to)).isFalse();
    }

    @Test
    void aVmBootsOnlyThroughStarting() {
        for (VmState from : VmState.values()) {
            assertThat(VmLifecycle.allowed(from, VmState.RUNNING)).as(from + " -> running").isEqualTo(from == VmState.STARTING);
        }
        assertThat(VmLifecycle.allowed(VmState.CREATING, VmState.STARTING)).isFalse();
    }

    @Test
    void nothingReturnsToCreating() {
        for (VmState from : VmState.values()) {
            assertThat(VmLifecycle.allowed(from, VmState.CREATING)).isFalse();
        }
    }

    @Test
    void deletableWithoutForceTable() {
        assertThat(VmLifecycle.deletableWithoutForce(VmState.CREATING)).isTrue();
        assertThat(VmLifecycle.deletableWithoutForce(VmState.STOPPED)).isTrue();
        assertThat(VmLifecycle.deletableWithoutForce(VmState.ERROR)).isTrue();
        assertThat(VmLifecycle.deletableWithoutForce(VmState.DELETING)).isTrue();
        assertThat(VmLifecycle.deletableWithoutForce(VmState.STARTING)).isFalse();
        assertThat(VmLifecycle.deletableWithoutForce(VmState.RUNNING)).isFalse();
        assertThat(VmLifecycle.deletableWithoutForce(VmState.STOPPING)).isFalse();
    }
}
