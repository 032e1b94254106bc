package dev.banger.it.arch;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.lang.ArchRule;

/**
 * banger-daemon is built of rooms, one package per concern (rpc, vm, vmm, image, net, agent, and each
 * capability that comes later): no room may depend on another that depends back on it, so each can be
 * read, tested and changed on its own; only the daemon's top package wires them together.
 */
final class RoomRules {
    static final String DAEMON = "dev.banger.daemon";

    private RoomRules() {
    }

    /** The rooms under {@code base} (one slice per direct subpackage) depend on one another without cycles. */
    static ArchRule roomsFreeOfCycles(String base) {
        return slices().matching(base + ".(*)..").namingSlices("room $1").should().beFreeOfCycles()
                .as("the rooms of " + base + " are free of cycles");
    }
}
