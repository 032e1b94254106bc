package dev.banger.core.net;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What to run for a VM's tap, and for tearing the bridge down, given what the host has. Every plan is
 * idempotent: what already is as wanted produces no step. Only taps are ever deleted, and teardown only
 * deletes taps named {@link InterfaceNames#TAP_PREFIX}*, so an interface someone else put on the bridge
 * survives (the kernel merely detaches it when the bridge goes).
 */
public final class TapPlan {
    private TapPlan() {
    }

    /** Steps so that {@code tap} exists, is a tap, is a port of {@code bridge} and is up. */
    public static List<List<String>> create(LinkState observed, String tap, String bridge) {
        InterfaceNames.validate(tap);
        InterfaceNames.validate(bridge);
        Optional<LinkState.Link> br = observed.link(bridge);
        if (br.isEmpty() || !br.get().isBridge()) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "cannot attach tap " + tap + ": bridge " + bridge
                    + (br.isEmpty() ? " does not exist" : " is " + br.get().describe() + ", not a bridge")
                    + " (the daemon creates it at start-up; restart bangerd)");
        }
        Optional<LinkState.Link> existing = observed.link(tap);
        if (existing.isEmpty()) {
            return List.of(NetCommands.addTap(tap), NetCommands.attachTap(tap, bridge));
        }
        LinkState.Link link = requireTap(existing.get());
        if (bridge.equals(link.master()) && link.adminUp()) {
            return List.of();
        }
        return List.of(NetCommands.attachTap(tap, bridge));
    }

    /**
     * Steps so that {@code tap} exists and is a port of no bridge: for a guest restored from a snapshot, whose
     * frames carry its parent's MAC and addresses until the agent has re-identified it ({@link #create} then
     * puts it on the bridge).
     */
    public static List<List<String>> createIsolated(LinkState observed, String tap) {
        InterfaceNames.validate(tap);
        Optional<LinkState.Link> existing = observed.link(tap);
        if (existing.isEmpty()) {
            return List.of(NetCommands.addTap(tap));
        }
        LinkState.Link link = requireTap(existing.get());
        return link.master() == null ? List.of() : List.of(NetCommands.detachTap(tap));
    }

    /** Steps so that {@code tap} no longer exists; none when it is already gone. */
    public static List<List<String>> delete(LinkState observed, String tap) {
        InterfaceNames.validate(tap);
        Optional<LinkState.Link> existing = observed.link(tap);
        if (existing.isEmpty()) {
            return List.of();
        }
        requireTap(existing.get());
        return List.of(NetCommands.deleteLink(tap));
    }

    /** Steps that remove banger's taps on {@code bridge}, then the bridge itself (nft is separate). */
    public static List<List<String>> teardown(LinkState observed, String bridge) {
        InterfaceNames.validate(bridge);
        List<List<String>> steps = new ArrayList<>();
        for (LinkState.Link port : observed.portsOf(bridge)) {
            if (port.isTap() && port.name().startsWith(InterfaceNames.TAP_PREFIX)) {
                steps.add(NetCommands.deleteLink(port.name()));
            }
        }
        Optional<LinkState.Link> br = observed.link(bridge);
        if (br.isPresent()) {
            if (!br.get().isBridge()) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, "interface " + bridge + " is "
                        + br.get().describe() + ", not a bridge: banger will not delete it");
            }
            steps.add(NetCommands.deleteLink(bridge));
        }
        return steps;
    }

    private static LinkState.Link requireTap(LinkState.Link link) {
        if (!link.isTap()) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "interface " + link.name() + " exists and is "
                    + link.describe() + ", not a tap: banger will not touch it; remove it or free the name");
        }
        return link;
    }
}
