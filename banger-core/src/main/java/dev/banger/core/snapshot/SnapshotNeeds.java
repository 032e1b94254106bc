package dev.banger.core.snapshot;

import dev.banger.core.vm.VmmKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a snapshot's saved state needs from the VMM that resumes it, recorded when it is taken: a saved memory
 * and device state is only valid in a VMM of the same kind and version, with the same machine type and
 * accelerator (TCG's CPU model is not KVM's), the same number of vCPUs and the same memory size, over the disks
 * of the same image. Pure: {@link #refusal} says, before anything is attached, why a restore cannot work.
 *
 * @param vmm         the driver that took it
 * @param vmmVersion  that VMM's version as it reported it ("7.2.22"); migration streams are only promised to
 *                    load into the same version, so any other is refused rather than risked
 * @param machine     the machine type ("microvm")
 * @param accelerator "kvm" or "tcg"
 * @param image       the image whose root the snapshot's disks are layered on
 */
public record SnapshotNeeds(VmmKind vmm, String vmmVersion, String machine, String accelerator, int vcpus, int memoryMib,
                            String image) {
    public SnapshotNeeds {
        Objects.requireNonNull(vmm, "vmm");
        Objects.requireNonNull(vmmVersion, "vmmVersion");
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(accelerator, "accelerator");
        Objects.requireNonNull(image, "image");
        if (vcpus < 1 || memoryMib < 1) {
            throw new IllegalArgumentException("a snapshot's VM has at least one vCPU and some memory");
        }
    }

    /** What snapshot {@code s} recorded it needs. */
    public static SnapshotNeeds of(dev.banger.api.SnapshotRecord s) {
        return new SnapshotNeeds(VmmKind.parse(s.vmm()), s.vmmVersion(), s.machine(), s.accelerator(), s.vcpus(), s.memoryMib(), s.image());
    }

    /** The VMM as a snapshot's row names it ("qemu"). */
    public String vmmId() {
        return vmm.id();
    }

    /**
     * Why a restore into {@code here} (what this host and the new VM's spec would give) cannot take this
     * snapshot, naming every difference; empty when it can.
     */
    public Optional<String> refusal(SnapshotNeeds here) {
        List<String> differences = new ArrayList<>();
        if (vmm != here.vmm) {
            differences.add("it was taken under " + vmm.displayName() + ", this VM would run under " + here.vmm.displayName());
        } else if (!vmmVersion.equals(here.vmmVersion)) {
            differences.add("it was taken under " + vmm.displayName() + " " + vmmVersion + ", this host has " + here.vmmVersion);
        }
        if (!machine.equals(here.machine)) {
            differences.add("machine type " + machine + ", not " + here.machine);
        }
        if (!accelerator.equals(here.accelerator)) {
            differences.add("accelerator " + accelerator + ", not " + here.accelerator + " (the saved CPU state is the accelerator's)");
        }
        if (vcpus != here.vcpus) {
            differences.add(vcpus + " vCPUs, not " + here.vcpus);
        }
        if (memoryMib != here.memoryMib) {
            differences.add(memoryMib + " MiB of memory, not " + here.memoryMib);
        }
        if (!image.equals(here.image)) {
            differences.add("image " + image + ", not " + here.image);
        }
        return differences.isEmpty() ? Optional.empty()
                : Optional.of("the snapshot cannot resume here: " + String.join("; ", differences));
    }
}
