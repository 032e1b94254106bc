package dev.banger.daemon.mount;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.HostMount;
import dev.banger.api.VmSpec;
import dev.banger.core.mount.MountRules;
import dev.banger.daemon.rpc.Caller;
import dev.banger.daemon.vm.Shares;
import dev.banger.daemon.vmm.Capability;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.Vmms;
import dev.banger.host.mount.HostDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Who may mount what, decided at {@code vm create}: each {@code --mount} is parsed ({@link MountRules}), its host
 * directory resolved without links ({@link HostDirectory}), and allowed when the caller owns it, it lies under an entry
 * of {@code [mounts] allowed}, or the caller is root. The identity the guest's root acts as is fixed here and recorded
 * with the mount: the caller, or for root the directory's owner, or nobody; never root.
 */
public final class MountAccess implements Shares.Access {
    private final Vmms vmms;
    private final List<Path> allowed;

    public MountAccess(Vmms vmms, List<Path> allowed) {
        this.vmms = vmms;
        this.allowed = List.copyOf(allowed);
    }

    /** The mounts of a VM of {@code spec} that {@code caller} asked for; refused as a whole with the first reason. */
    @Override
    public List<HostMount> resolve(VmSpec spec, List<String> specs, Caller caller) {
        if (specs.isEmpty()) {
            return List.of();
        }
        Vmm vmm = vmms.of(spec);
        Capability.Support support = vmm.supports(Capability.MOUNT);
        if (!support.available()) {
            throw new BangerException(ErrorCode.UNSUPPORTED, vmm.displayName() + " cannot do " + Capability.MOUNT.what() + " here: "
                    + support.reason() + "; copy files in and out with 'banger vm cp' instead");
        }
        List<MountRules.Request> requests = MountRules.parseAll(specs, MountRules.MAX_MOUNTS);
        List<HostMount> out = new ArrayList<>();
        for (MountRules.Request r : requests) {
            HostDirectory dir = HostDirectory.resolve(r.hostDir());
            MountRules.refusal(caller.uid(), dir.path(), dir.owner(), allowed).ifPresent(why -> {
                throw new BangerException(ErrorCode.PERMISSION_DENIED, "--mount " + r.hostDir() + ": " + why);
            });
            MountRules.Identity id = MountRules.identity(caller.uid(), caller.gid(), dir.owner(), dir.group());
            out.add(new HostMount(dir.path().toString(), r.guestDir(), r.readOnly(), id.uid(), id.gid()));
        }
        return List.copyOf(out);
    }
}
