package dev.banger.core;

import dev.banger.api.BangerException;
import dev.banger.api.Params;
import dev.banger.api.VmSpec;

/** Validation of a requested VM against banger's rules and the host's capacity. Pure. */
public final class VmSpecRules {
    public static final int MIN_VCPUS = 1;
    public static final int MAX_VCPUS = 32;
    public static final int MIN_MEMORY_MIB = 128;
    public static final long MIN_WORK_DISK_MIB = 64;
    public static final long MAX_DISK_MIB = 16L * 1024 * 1024; // 16 TiB: a sparse file, but sanity first

    private VmSpecRules() {
    }

    /**
     * Applies defaults to {@code request} and checks every field; each rejection names the rule.
     *
     * @param name the VM's name (already chosen: given or generated)
     * @param hostMemoryMib total memory of the host, the upper bound for one VM
     */
    public static VmSpec resolve(Params.VmCreate request, String name, BangerConfig.Settings settings, long hostMemoryMib) {
        VmNames.validateNew(name);
        String image = ImageNames.validate(request.image() != null ? request.image() : settings.defaultImage());
        int vcpus = checkVcpus(request.vcpus() != null ? request.vcpus() : settings.defaultVcpus());
        int memory = checkMemory(request.memoryMib() != null ? request.memoryMib() : settings.defaultMemoryMib(), hostMemoryMib);
        long root = request.rootDiskMib() != null ? checkRootDisk(request.rootDiskMib()) : 0;
        long work = checkWorkDisk(request.workDiskMib() != null ? request.workDiskMib() : settings.defaultWorkDiskMib());
        dev.banger.core.vm.VmmKind vmm = request.vmm() != null ? dev.banger.core.vm.VmmKind.parse(request.vmm()) : settings.defaultVmm();
        return new VmSpec(name, image, vcpus, memory, root, work, vmm.id());
    }

    public static int checkVcpus(int vcpus) {
        if (vcpus < MIN_VCPUS || vcpus > MAX_VCPUS) {
            throw BangerException.invalid("vcpus " + vcpus + " is out of range: a VM has " + MIN_VCPUS + " to " + MAX_VCPUS + " vCPUs");
        }
        return vcpus;
    }

    public static int checkMemory(long memoryMib, long hostMemoryMib) {
        if (memoryMib < MIN_MEMORY_MIB) {
            throw BangerException.invalid("memory " + memoryMib + " MiB is too small: a VM needs at least " + MIN_MEMORY_MIB + " MiB");
        }
        if (memoryMib > hostMemoryMib) {
            throw BangerException.invalid("memory " + Sizes.formatMib(memoryMib) + " is more than this host has ("
                    + Sizes.formatMib(hostMemoryMib) + "): ask for at most " + hostMemoryMib + " MiB");
        }
        return (int) memoryMib;
    }

    public static long checkWorkDisk(long mib) {
        if (mib < MIN_WORK_DISK_MIB || mib > MAX_DISK_MIB) {
            throw BangerException.invalid("work disk " + Sizes.formatMib(mib) + " is out of range: use "
                    + Sizes.formatMib(MIN_WORK_DISK_MIB) + " to " + Sizes.formatMib(MAX_DISK_MIB));
        }
        return mib;
    }

    /** 0 means "as large as the base image"; otherwise the root disk is grown to this size. */
    public static long checkRootDisk(long mib) {
        if (mib != 0 && (mib < 256 || mib > MAX_DISK_MIB)) {
            throw BangerException.invalid("root disk " + Sizes.formatMib(mib) + " is out of range: use 0 (the image's size) or 256M to "
                    + Sizes.formatMib(MAX_DISK_MIB));
        }
        return mib;
    }
}
