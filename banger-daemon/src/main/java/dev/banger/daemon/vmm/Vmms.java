package dev.banger.daemon.vmm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.core.vm.VmmKind;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;

/** The daemon's VMM drivers, by kind: each VM names its own ({@code VmSpec.vmm}), and only this class reads it. */
public final class Vmms {
    private final Map<VmmKind, Vmm> drivers;

    public Vmms(Map<VmmKind, Vmm> drivers) {
        this.drivers = new EnumMap<>(drivers);
    }

    public static Vmms of(Vmm qemu, Vmm firecracker) {
        return new Vmms(Map.of(VmmKind.QEMU, qemu, VmmKind.FIRECRACKER, firecracker));
    }

    public Vmm of(VmRecord vm) {
        Vmm v = drivers.get(VmmKind.parse(vm.spec().vmm()));
        if (v == null) {
            throw new IllegalStateException("no driver for VMM " + vm.spec().vmm());
        }
        return v;
    }

    /** The driver a VM of {@code spec} would run on. */
    public Vmm of(dev.banger.api.VmSpec spec) {
        Vmm v = drivers.get(VmmKind.parse(spec.vmm()));
        if (v == null) {
            throw new IllegalStateException("no driver for VMM " + spec.vmm());
        }
        return v;
    }

    public Collection<Vmm> all() {
        return drivers.values();
    }

    /**
     * {@code vm}'s driver, when it can do {@code capability}; otherwise UNSUPPORTED, naming the driver and
     * its reason. How features ask: never by checking which driver it is.
     */
    public Vmm require(VmRecord vm, Capability capability) {
        Vmm v = of(vm);
        Capability.Support s = v.supports(capability);
        if (!s.available()) {
            throw new BangerException(ErrorCode.UNSUPPORTED, "VM '" + vm.name() + "' runs on " + v.displayName() + ", which cannot do "
                    + capability.what() + " here: " + s.reason());
        }
        return v;
    }

    /** SIGKILL for a VMM no record owns (every driver kills the same way: the process, then waits). */
    public void killStray(long pid) {
        drivers.values().iterator().next().kill(pid);
    }
}
