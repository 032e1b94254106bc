package dev.banger.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TapPlanTest {
    private static final String TAP = "bgr0123456789ab";

    private static LinkState with(LinkState.Link... links) {
        Map<String, LinkState.Link> m = new LinkedHashMap<>();
        for (LinkState.Link l : links) {
            m.put(l.name(), l);
        }
        return new LinkState(m);
    }

    private static LinkState.Link bridge(String name) {
        return new LinkState.Link(name, "bridge", null, null, true, "02:62:ac:1d:00:01", List.of());
    }

    private static LinkState.Link tap(String name, String master, boolean up) {
        return new LinkState.Link(name, "tun", "tap", master, up, "0e:00:00:00:00:01", List.of());
    }

    @Test
    void anAbsentTapIsCreatedAndAttached() {
        assertThat(TapPlan.create(with(bridge("banger0")), TAP, "banger0"))
                .containsExactly(NetCommands.addTap(TAP), NetCommands.attachTap(TAP, "banger0"));
    }

    @Test
    void aTapAlreadyOnTheBridgeAndUpIsFine() {
        assertThat(TapPlan.create(with(bridge("banger0"), tap(TAP, "banger0", true)), TAP, "banger0")).isEmpty();
    }

    @Test
    void aDetachedDownOrMisplacedTapIsAttached() {
        for (LinkState.Link t : List.of(tap(TAP, null, true), tap(TAP, "banger0", false), tap(TAP, "other0", true))) {
            assertThat(TapPlan.create(with(bridge("banger0"), bridge("other0"), t), TAP, "banger0"))
                    .containsExactly(NetCommands.attachTap(TAP, "banger0"));
        }
    }

    @Test
    void createRefusesAMissingBridgeAndANonTap() {
        assertThatThrownBy(() -> TapPlan.create(LinkState.empty(), TAP, "banger0")).isInstanceOf(BangerException.class)
                .hasMessageContaining("bridge banger0 does not exist")
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.FAILED_PRECONDITION));
        LinkState tun = with(bridge("banger0"), new LinkState.Link(TAP, "tun", "tun", null, true, null, List.of()));
        assertThatThrownBy(() -> TapPlan.create(tun, TAP, "banger0")).hasMessageContaining("is a tun device, not a tap");
        LinkState notBridge = with(new LinkState.Link("banger0", "veth", null, null, true, null, List.of()));
        assertThatThrownBy(() -> TapPlan.create(notBridge, TAP, "banger0")).hasMessageContaining("not a bridge");
    }

    @Test
    void deleteIsIdempotentAndOnlyDeletesTaps() {
        assertThat(TapPlan.delete(LinkState.empty(), TAP)).isEmpty();
        assertThat(TapPlan.delete(with(tap(TAP, "banger0", true)), TAP)).containsExactly(NetCommands.deleteLink(TAP));
        assertThatThrownBy(() -> TapPlan.delete(with(bridge(TAP)), TAP)).isInstanceOf(BangerException.class)
                .hasMessageContaining("not a tap");
    }

    @Test
    void teardownRemovesBangersTapsOnTheBridgeThenTheBridge() {
        LinkState s = with(bridge("banger0"), bridge("other0"), tap("bgr000000000001", "banger0", true),
                tap("bgr000000000002", "banger0", false), tap("bgr000000000003", "other0", true),
                tap("usertap", "banger0", true), tap("bgr000000000004", null, true));
        List<List<String>> steps = TapPlan.teardown(s, "banger0");
        assertThat(steps).containsExactly(NetCommands.deleteLink("bgr000000000001"), NetCommands.deleteLink("bgr000000000002"),
                NetCommands.deleteLink("banger0"));
        LinkState after = FakeKernel.apply(s, steps);
        assertThat(after.links()).containsOnlyKeys("other0", "bgr000000000003", "usertap", "bgr000000000004");
        assertThat(after.link("usertap").orElseThrow().master()).as("detached by the kernel").isNull();
        assertThat(TapPlan.teardown(after, "banger0")).isEmpty();
    }

    @Test
    void teardownRefusesToDeleteANonBridge() {
        LinkState s = with(new LinkState.Link("banger0", "veth", null, null, true, null, List.of()));
        assertThatThrownBy(() -> TapPlan.teardown(s, "banger0")).hasMessageContaining("will not delete it");
    }

    @Test
    void createThenReplanIsEmpty() {
        LinkState s = with(bridge("banger0"));
        LinkState after = FakeKernel.apply(s, TapPlan.create(s, TAP, "banger0"));
        assertThat(TapPlan.create(after, TAP, "banger0")).isEmpty();
        LinkState gone = FakeKernel.apply(after, TapPlan.delete(after, TAP));
        assertThat(TapPlan.delete(gone, TAP)).isEmpty();
    }

    @Test
    void badNamesAreRejected() {
        assertThatThrownBy(() -> TapPlan.create(LinkState.empty(), "bad tap", "banger0")).isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThatThrownBy(() -> TapPlan.delete(LinkState.empty(), "x;y")).isInstanceOf(BangerException.class);
        assertThatThrownBy(() -> TapPlan.teardown(LinkState.empty(), "-x")).isInstanceOf(BangerException.class);
    }
}
