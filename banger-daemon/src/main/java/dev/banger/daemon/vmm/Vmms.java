package dev.banger.daemon.vmm;

import dev.banger.api.VmRecord;
import dev.banger.core.vm.VmmKind;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;

/** The daemon's VMM drivers, by kind: each VM names its own ({@code VmSpec.vmm}). */
public final class Vmms {
    private final Map<VmmKind, Vmm> drivers;

    Vmms(Map<VmmKind, Vmm> drivers) {
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

    public Collection<Vmm> all() {
        return drivers.values();
    }

    /** SIGKILL for a VMM no record owns (every driver kills the same way: the process, then waits). */
    public void killStray(long pid) {
        drivers.values().iterator().next().kill(pid);
    }
}
