package dev.banger.api;

/**
 * What the user asked for: a VM's identity and intent. Validated by banger-core's {@code VmSpecRules}.
 *
 * @param rootDiskMib size of the copy-on-write root disk; 0 means "the base image's size"
 * @param workDiskMib size of the sparse work disk mounted at /work in the guest
 * @param vmm which VMM runs it: "qemu" or "firecracker" (banger-core's {@code VmmKind})
 */
public record VmSpec(String name, String image, int vcpus, int memoryMib, long rootDiskMib, long workDiskMib, String vmm) {
}
