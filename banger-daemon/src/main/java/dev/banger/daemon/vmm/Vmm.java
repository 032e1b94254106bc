package dev.banger.daemon.vmm;

import dev.banger.api.VmRecord;
import dev.banger.api.VmSpec;
import dev.banger.core.snapshot.SnapshotNeeds;
import dev.banger.core.vm.KernelKind;
import dev.banger.host.guest.AgentConnection;
import dev.banger.host.guest.AgentTransport;
import dev.banger.host.vm.VmHandles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The one seam between the VM lifecycle and a virtual machine monitor (QEMU microvm, Firecracker): start
 * one detached, find it again from durable facts alone, stop it gracefully, kill it, reach its guest's
 * agent, and say what else it can do. Orchestration never asks which driver a VM has; it asks the driver
 * ({@link Vmms#of}).
 */
public interface Vmm {
    /**
     * The files and devices one boot uses; every path is inside the VM directory or the image, but the shares' sockets
     * (host directories served by virtiofsd, which only a driver with {@link Capability#MOUNT} is ever given).
     */
    record BootPlan(Path kernel, Path initrd, Path rootDisk, Path configDrive, Path workDisk, String tap, String mac,
                    List<dev.banger.core.mount.Share> shares) {
        public BootPlan {
            shares = shares == null ? List.of() : List.copyOf(shares);
        }

        public BootPlan(Path kernel, Path initrd, Path rootDisk, Path configDrive, Path workDisk, String tap, String mac) {
            this(kernel, initrd, rootDisk, configDrive, workDisk, tap, mac, List.of());
        }
    }

    /** The VMM's name for messages ("QEMU", "Firecracker"). */
    String displayName();

    /** The kernels of an image this VMM boots, the one it prefers first. */
    List<KernelKind> kernels();

    /**
     * Makes (or finds, on a restart) the VM's root disk over the image's {@code rootfs} and returns the
     * path to boot from. Devices it attaches are passed to {@code record} as they appear (they must be in
     * the VM's handles before anything else can fail); {@code warn} tells the user what a fallback costs.
     */
    Path prepareRoot(VmRecord vm, Path rootfs, VmHandles handles, Consumer<VmHandles> record, Consumer<String> warn);

    /** Releases what {@link #prepareRoot} attached (named by {@code handles}); idempotent. */
    void releaseRoot(VmRecord vm, VmHandles handles);

    /** Starts the VMM for {@code vm} in its own session (it outlives the daemon); returns its pid. */
    long launch(VmRecord vm, BootPlan plan);

    /** The running VMM of {@code vm}, found by its control socket path in process command lines. */
    Optional<Long> find(VmRecord vm);

    /** Whether {@code pid} still runs and is {@code vm}'s VMM (a cheap check of a known pid; pids get reused). */
    boolean isRunning(VmRecord vm, long pid);

    /** Every running VMM whose control socket lies in banger's VM directories, by pid, with that socket. */
    Map<Long, Path> findAll(Path vmsDir);

    /** Asks the guest to power off, waits up to {@code grace}, then kills; true when it powered off by itself. */
    boolean stop(VmRecord vm, long pid, Duration grace);

    /** SIGKILL of a pid the caller vouches for (found by {@link #find}, or launched); waits until it is gone. */
    void kill(long pid);

    /** How a guest booted now by this VMM on this host reaches its agent (recorded in the boot's handles). */
    AgentTransport agentTransport();

    /**
     * A connection to {@code vm}'s guest agent over the transport its boot recorded in {@code handles}
     * (TCP when none is recorded), closed {@code timeout} from now.
     */
    AgentConnection openAgent(VmRecord vm, VmHandles handles, Duration timeout);

    /** What a saved state cost: its bytes on disk (memory and devices) and how long the guest was paused for it. */
    record SavedState(long bytes, Duration paused) {
    }

    /**
     * What a snapshot of a VM with {@code spec}, taken or restored by this driver on this host, needs of the VMM
     * that resumes it (SNAPSHOT capability: call only when {@link #supports} says yes).
     */
    SnapshotNeeds snapshotNeeds(VmSpec spec);

    /**
     * Pauses {@code vm}'s guest and saves its memory and device state, and a consistent copy of its root disk, into
     * {@code dir} (an empty directory; the file names are the driver's own). The guest stays paused, also when the
     * save fails: the caller resumes it ({@link #resume}). A failure leaves none of the driver's files in {@code dir}.
     * A state larger than {@code maxStateBytes} is refused (a VMM sending more is not the VM banger started).
     */
    SavedState saveState(VmRecord vm, Path dir, long maxStateBytes, Duration timeout);

    /** Resumes the guest of {@code vm}'s running VMM when it is paused (by {@link #saveState}, or a daemon that died in one). */
    void resume(VmRecord vm, Duration timeout);

    /** Whether {@code vm}'s running VMM has its guest paused. */
    boolean paused(VmRecord vm, Duration timeout);

    /**
     * Makes the root disk of {@code vm}, a new VM restored from the snapshot in {@code dir}, over the root saved
     * there (as {@link #prepareRoot} does over an image's), and returns the path to give the VMM.
     */
    Path prepareRootFromSnapshot(VmRecord vm, Path dir, VmHandles handles, Consumer<VmHandles> record, Consumer<String> warn);

    /**
     * Starts a VMM for {@code vm} that resumes the state saved in {@code dir} instead of booting, with the plan's
     * disks, tap and MAC in the devices' places (laid out as the snapshotted VM's were: the state needs the same
     * devices). Returns its pid once the guest runs again.
     */
    long launchRestored(VmRecord vm, BootPlan plan, Path dir, Duration timeout);

    /** Whether this driver, on this host, can do {@code capability}, and if not, why. */
    Capability.Support supports(Capability capability);

    /** Which accelerator this host gets and why (for logs and doctor). */
    String describe();
}
