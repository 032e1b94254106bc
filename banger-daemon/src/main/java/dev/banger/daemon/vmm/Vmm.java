package dev.banger.daemon.vmm;

import dev.banger.api.VmRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What the VM lifecycle needs from a virtual machine monitor (QEMU today, Firecracker next): start one
 * detached, find it again from durable facts alone, stop it gracefully, kill it.
 */
public interface Vmm {
    /** The files and devices one boot uses; every path is inside the VM directory or the image. */
    record BootPlan(Path kernel, Path initrd, Path rootDisk, Path configDrive, Path workDisk, String tap, String mac) {
    }

    /** Which kernel of an image this VMM boots: the bzImage (QEMU) or the ELF vmlinux (Firecracker). */
    String kernelRole();

    /**
     * Makes (or finds, on a restart) the VM's root disk over the image's {@code rootfs} and returns the
     * path to boot from. Devices it attaches are passed to {@code record} as they appear (they must be in
     * the VM's handles before anything else can fail); {@code warn} tells the user what a fallback costs.
     */
    Path prepareRoot(VmRecord vm, Path rootfs, dev.banger.host.vm.VmHandles handles,
                     java.util.function.Consumer<dev.banger.host.vm.VmHandles> record, java.util.function.Consumer<String> warn);

    /** Releases what {@link #prepareRoot} attached (named by {@code handles}); idempotent. */
    void releaseRoot(VmRecord vm, dev.banger.host.vm.VmHandles handles);

    /** Starts the VMM for {@code vm} in its own session (it outlives the daemon); returns its pid. */
    long launch(VmRecord vm, BootPlan plan);

    /** The running VMM of {@code vm}, found by its control socket path in process command lines. */
    Optional<Long> find(VmRecord vm);

    /** Whether {@code pid} still runs and is {@code vm}'s VMM (a cheap check of a known pid; pids get reused). */
    boolean isRunning(VmRecord vm, long pid);

    /** Every running VMM whose control socket lies in banger's VM directories, by pid, with that socket. */
    java.util.Map<Long, Path> findAll(Path vmsDir);

    /** Asks the guest to power off, waits up to {@code grace}, then kills; true when it powered off by itself. */
    boolean stop(VmRecord vm, long pid, Duration grace);

    void kill(long pid);

    /** How guests of this VMM on this host reach their agent: VmHandles.AGENT_VSOCK or AGENT_TCP. */
    String agentTransport();

    /** Which accelerator this host gets and why (for logs and doctor). */
    String describe();
}
