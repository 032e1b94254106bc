package dev.banger.daemon.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.HostMount;
import dev.banger.api.VmRecord;
import dev.banger.api.VmSpec;
import dev.banger.core.mount.Share;
import dev.banger.daemon.rpc.Caller;
import dev.banger.host.mount.MountHandles;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What the lifecycle needs of host directory mounts: who may mount what at create ({@link Access}) and the host-side
 * pieces of a running VM's mounts ({@link Runtime}). The mount room implements both; the lifecycle depends on these
 * seams only, never on that room (as with {@link Restores}).
 */
public record Shares(Access access, Runtime runtime) {
    /** No mounts: a VM that asks for one is refused (tests of the lifecycle alone). */
    public static final Shares NONE = new Shares((spec, specs, caller) -> {
        if (!specs.isEmpty()) {
            throw new BangerException(ErrorCode.UNSUPPORTED, "this daemon does not mount host directories");
        }
        return List.of();
    }, new Runtime() {
        @Override
        public List<Share> attach(VmRecord vm, Consumer<MountHandles.Mounts> record) {
            if (!vm.mounts().isEmpty()) {
                throw new BangerException(ErrorCode.UNSUPPORTED, "this daemon does not mount host directories");
            }
            return List.of();
        }

        @Override
        public void release(String vmId) {
        }

        @Override
        public String sweep(Set<String> running) {
            return "";
        }
    });

    @FunctionalInterface
    public interface Access {
        /** The mounts of a VM of {@code spec} that {@code caller} asked for with {@code specs}; refused as a whole, naming the rule. */
        List<HostMount> resolve(VmSpec spec, List<String> specs, Caller caller);
    }

    public interface Runtime {
        /**
         * Makes {@code vm}'s mounts ready for its VMM and returns what to give it; each piece is passed to {@code record}
         * as it appears. A failure undoes every piece and says why.
         */
        List<Share> attach(VmRecord vm, Consumer<MountHandles.Mounts> record);

        /** Everything of VM {@code vmId}'s mounts gone from the host (found from its id alone). */
        void release(String vmId);

        /** Releases the mounts of every VM not in {@code running}; a summary, "" when nothing was found. */
        String sweep(Set<String> running);
    }
}
