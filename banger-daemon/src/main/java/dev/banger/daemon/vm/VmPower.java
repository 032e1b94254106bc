package dev.banger.daemon.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.ImageManifest;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.core.StatePaths;
import dev.banger.core.guest.GuestConfig;
import dev.banger.core.net.InterfaceNames;
import dev.banger.core.vm.VmNetwork;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.net.HostNetworking;
import dev.banger.daemon.rpc.Call;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.Vmms;
import dev.banger.host.disk.Disks;
import dev.banger.host.guest.ConfigDrive;
import dev.banger.host.guest.SshKeys;
import dev.banger.host.guest.SshProbe;
import dev.banger.host.vm.VmHandles;
import dev.banger.store.VmStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Boots and stops VMs. Each step is ordered so a failure leaves the VM stopped with LastError saying
 * why, and nothing running or attached: a QEMU that started is killed, its tap removed.
 */
public final class VmPower {
    private static final Logger LOG = Logger.getLogger(VmPower.class.getName());
    /** TCG boots the fast init in ~5 s on 2 cores; leave room for a loaded machine and systemd images. */
    static final Duration SSH_TIMEOUT = Duration.ofSeconds(Long.getLong("banger.sshTimeoutSeconds", 120));
    static final Duration STOP_GRACE = Duration.ofSeconds(30);
    /** The SSH readiness probe: short connects, polled often, so a boot is noticed within ~50 ms of sshd starting. */
    private static final Duration SSH_CONNECT_TIMEOUT = Duration.ofMillis(250);
    private static final Duration SSH_BANNER_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration SSH_POLL_INTERVAL = Duration.ofMillis(25);
    private static final int CONSOLE_TAIL_LINES = 15;

    private final VmStore store;
    private final StatePaths paths;
    private final ImageService images;
    private final Vmms vmms;
    private final HostNetworking network;
    private final VmLocks locks;
    private final Clock clock;
    private final VmTransitions transitions;
    private final VmHandleCache handles;
    private final VmLiveness liveness;
    private final VmDirectories dirs;

    public VmPower(VmStore store, StatePaths paths, ImageService images, Vmms vmms, HostNetworking network, VmLocks locks, Clock clock,
            VmHandleCache handles, VmLiveness liveness, VmTransitions transitions) {
        this.handles = handles;
        this.liveness = liveness;
        this.store = store;
        this.paths = paths;
        this.images = images;
        this.vmms = vmms;
        this.network = network;
        this.locks = locks;
        this.clock = clock;
        this.transitions = transitions;
        this.dirs = new VmDirectories(paths.vmsDir());
    }

    VmRecord start(VmRecord found, Call call) {
        return locks.with(found.id(), () -> {
            VmRecord vm = reload(found);
            if (vm.state() == VmState.RUNNING && liveness.vmAlive(vm)) {
                return vm;
            }
            // Before anything is written into it: a real directory of root's, no links planted in it.
            dirs.check(Path.of(vm.runtime().vmDir()), "the directory of VM '" + vm.name() + "'");
            Instant started = clock.instant();
            Step step = new Step(call, started);
            vm = transition(vm, VmState.STARTING, null);
            CrashPoints.reach("start.after-starting");
            Vmm vmm = vmms.of(vm);
            Long pid = null;
            String tap = InterfaceNames.tapFor(vm.id());
            Attached attached = new Attached(vm);
            try {
                step.report("image", "checking image " + vm.spec().image());
                ImageManifest image = images.info(vm.spec().image()).manifest();
                Path imageDir = paths.imageDir(vm.spec().image());
                Path kernel = imageFile(imageDir, image, vmm.kernelRole(), vmm.kernelRole().equals(ImageManifest.ROLE_VMLINUX)
                        ? "an ELF vmlinux kernel (Firecracker boots only that; banger's image build extracts it)"
                        : "a bzImage kernel (QEMU boots the bzImage)");
                Path initrd = imageFile(imageDir, image, ImageManifest.ROLE_INITRD, "an initramfs");
                Path rootfs = imageFile(imageDir, image, ImageManifest.ROLE_ROOTFS, "a root filesystem");

                step.report("disks", "copy-on-write root and work disk");
                String name = vm.name();
                Path rootDisk = vmm.prepareRoot(vm, rootfs, attached.now(), attached, warning -> {
                    LOG.warning("VM " + name + ": " + warning);
                    step.warn(warning);
                });
                Disks.ensureWorkDisk(Path.of(vm.runtime().workDiskPath()), vm.spec().workDiskMib());
                CrashPoints.reach("start.after-disks");

                step.report("config", "keys and config drive");
                Path vmDir = Path.of(vm.runtime().vmDir());
                Path configDrive = writeGuestConfig(vm, vmDir);
                CrashPoints.reach("start.after-config");

                step.report("network", "bridge " + network.bridge() + ", tap " + tap);
                network.ensure();
                // Scratch first: a daemon killed right after creating the tap leaves the next one its name.
                attached.accept(attached.now().withTap(tap));
                network.createTap(tap);
                CrashPoints.reach("start.after-tap");

                step.report("boot", vmm.describe());
                pid = vmm.launch(vm, new Vmm.BootPlan(kernel, initrd, rootDisk, configDrive, Path.of(vm.runtime().workDiskPath()),
                        tap, VmNetwork.mac(vm.id())));
                LOG.info("VM " + vm.name() + ": VMM started, pid " + pid);
                attached.accept(attached.now().withPid(pid).withAgent(vmm.agentTransport()));
                CrashPoints.reach("start.after-launch");
                watch(vm, pid);

                step.report("ssh", "waiting for sshd on " + vm.runtime().guestIp());
                waitForSsh(vm, step);
                CrashPoints.reach("start.before-running");
                vm = transition(vm, VmState.RUNNING, null);
                LOG.info("VM " + vm.name() + " running after " + Duration.between(started, clock.instant()).toMillis() + " ms");
                return vm;
            } catch (RuntimeException e) {
                if (pid != null) {
                    vmm.kill(pid);
                }
                network.deleteTap(tap);
                vmm.releaseRoot(vm, attached.now());
                handles.remove(vm);
                String why = e.getMessage() + (pid != null ? consoleTail(vm) : "");
                transition(reload(vm), VmState.ERROR, why);
                throw e instanceof BangerException b ? new BangerException(b.code(), "cannot start VM " + vm.name() + ": " + why, e)
                        : new BangerException(ErrorCode.INTERNAL, "cannot start VM " + vm.name() + ": " + why, e);
            }
        });
    }

    VmRecord stop(VmRecord found, boolean force) {
        return locks.with(found.id(), () -> {
            VmRecord vm = reload(found);
            switch (vm.state()) {
                case STOPPED:
                    tearDown(vm, true); // a VMM started behind banger's back, or a tap left over: nothing may stay
                    return vm;
                case RUNNING, STARTING:
                    vm = transition(vm, VmState.STOPPING, null);
                    CrashPoints.reach("stop.after-stopping");
                    break;
                default:
                    break;
            }
            tearDown(vm, force);
            return transition(vm, VmState.STOPPED, null);
        });
    }

    /**
     * When a VMM exits behind banger's back (the guest powered off, QEMU crashed, someone killed it), the
     * VM becomes stopped with the reason and its tap is released, within a second or so.
     */
    void watch(VmRecord vm, long pid) {
        liveness.whenExited(vm, pid).thenRunAsync(() -> vmmExited(vm.id()), task -> Thread.ofVirtual().start(task));
    }

    private void vmmExited(String vmId) {
        try {
            locks.with(vmId, () -> {
                store.findById(vmId).ifPresent(vm -> {
                    if (vm.state() == VmState.RUNNING && !liveness.vmAlive(vm)) {
                        releaseHandles(vm);
                        String why = "the VM's " + dev.banger.core.vm.VmmKind.parse(vm.spec().vmm()).displayName()
                                + " exited (the guest powered off, or the process was killed)" + consoleTail(vm);
                        transition(vm, VmState.STOPPED, why);
                        LOG.warning("VM " + vm.name() + " stopped by itself: " + why);
                    }
                });
                return null;
            });
        } catch (RuntimeException e) {
            LOG.warning("after VM " + vmId + "'s VMM exited: " + e);
        }
    }

    /** Stops the VMM (if any) and detaches the VM from the host; used by stop, delete --force and reconcile. */
    void tearDown(VmRecord vm, boolean force) {
        Optional<Long> pid = liveness.runningPid(vm);
        Vmm vmm = vmms.of(vm);
        if (pid.isPresent()) {
            if (force) {
                vmm.kill(pid.get());
            } else if (!vmm.stop(vm, pid.get(), STOP_GRACE)) {
                LOG.warning("VM " + vm.name() + " did not power off within " + STOP_GRACE.toSeconds() + " s and was killed");
            }
        }
        CrashPoints.reach("stop.after-vmm");
        releaseHandles(vm);
        CrashPoints.reach("stop.after-tap");
    }

    /**
     * Releases what a VMM that is no longer running left attached: the tap (named by its handles, which
     * rediscovery fills in even when the scratch file is gone), the root's dm target and loop devices
     * (Firecracker), then the scratch file itself.
     */
    void releaseHandles(VmRecord vm) {
        VmHandles left = liveness.rediscoverHandles(vm);
        network.deleteTap(left.tap() != null ? left.tap() : InterfaceNames.tapFor(vm.id()));
        vmms.of(vm).releaseRoot(vm, left);
        handles.remove(vm);
    }

    private Path writeGuestConfig(VmRecord vm, Path vmDir) {
        SshKeys.KeyPair client = SshKeys.clientKey(paths.sshDir());
        Path hostKey = vmDir.resolve("ssh_host_ed25519_key");
        // The host key is made once per VM and kept, so the pinned key survives restarts.
        SshKeys.KeyPair host;
        try {
            host = Files.exists(hostKey) ? new SshKeys.KeyPair(hostKey, Files.readString(hostKey),
                    Files.readString(vmDir.resolve("ssh_host_ed25519_key.pub")).strip()) : SshKeys.hostKey(vmDir, vm.spec().name());
        } catch (IOException e) {
            throw new BangerException(ErrorCode.INTERNAL, "cannot read the VM's host key: " + e.getMessage(), e);
        }
        GuestConfig config = new GuestConfig(vm.id(), vm.spec().name(), VmNetwork.mac(vm.id()),
                vm.runtime().guestIp() + "/" + network.subnet().prefix(), network.gateway(), network.gateway(), true,
                AgentTokens.ensure(vmDir), client.publicLine(), host.privateText(), host.publicLine());
        try {
            dev.banger.host.AtomicFiles.write(vmDir.resolve("known_hosts"), config.knownHostsLine(vm.runtime().dnsName()));
        } catch (IOException e) {
            throw new BangerException(ErrorCode.INTERNAL, "cannot write the VM's known_hosts: " + e.getMessage(), e);
        }
        Path drive = vmDir.resolve("config.img");
        ConfigDrive.write(drive, config.files());
        return drive;
    }

    private void waitForSsh(VmRecord vm, Step step) {
        long deadline = System.nanoTime() + SSH_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!liveness.vmAlive(vm)) {
                throw new BangerException(ErrorCode.INTERNAL, "the VM's " + dev.banger.core.vm.VmmKind.parse(vm.spec().vmm()).displayName() + " exited during boot");
            }
            if (SshProbe.answers(vm.runtime().guestIp(), SSH_CONNECT_TIMEOUT, SSH_BANNER_TIMEOUT)) {
                return;
            }
            step.heartbeat();
            try {
                Thread.sleep(SSH_POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BangerException(ErrorCode.INTERNAL, "interrupted while waiting for SSH");
            }
        }
        throw new BangerException(ErrorCode.INTERNAL, "SSH did not answer on " + vm.runtime().guestIp() + " within "
                + SSH_TIMEOUT.toSeconds() + " s; the console log is " + vm.runtime().logPath());
    }

    private String consoleTail(VmRecord vm) {
        try {
            List<String> lines = Files.readAllLines(Path.of(vm.runtime().logPath()), java.nio.charset.StandardCharsets.ISO_8859_1);
            List<String> tail = lines.subList(Math.max(0, lines.size() - CONSOLE_TAIL_LINES), lines.size());
            // Guest text: keep it printable.
            return "\nlast console lines (" + vm.runtime().logPath() + "):\n  " + String.join("\n  ",
                    tail.stream().map(l -> l.replaceAll("[^\\x20-\\x7e]", "?")).toList());
        } catch (IOException e) {
            return "";
        }
    }

    private static Path imageFile(Path dir, ImageManifest m, String role, String what) {
        ImageManifest.FileEntry f = m.file(role);
        if (f == null) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "image " + m.name() + " has no " + what);
        }
        return dir.resolve(f.path());
    }

    private VmRecord reload(VmRecord vm) {
        return store.findById(vm.id()).orElseThrow(() -> BangerException.notFound("VM '" + vm.name() + "' was deleted while this operation was under way"));
    }

    private VmRecord transition(VmRecord vm, VmState next, String error) {
        return transitions.move(vm, next, error);
    }

    /** What one start has attached so far, written through to the VM's scratch file as each piece appears. */
    private final class Attached implements java.util.function.Consumer<VmHandles> {
        private final VmRecord vm;
        private VmHandles now = VmHandles.NONE;

        Attached(VmRecord vm) {
            this.vm = vm;
        }

        @Override
        public void accept(VmHandles h) {
            now = h;
            handles.put(vm, h);
        }

        VmHandles now() {
            return now;
        }
    }

    /** Progress of one start: a notification per step, and heartbeats while waiting. */
    private static final class Step {
        private static final List<String> STEPS = List.of("image", "disks", "config", "network", "boot", "ssh");
        private final Call call;
        private final Instant started;
        private String phase = "image";
        private String message = "";

        Step(Call call, Instant started) {
            this.call = call;
            this.started = started;
        }

        void report(String phase, String message) {
            this.phase = phase;
            this.message = message;
            heartbeat();
        }

        /** A warning, sent on its own; the phase stays what it was. */
        void warn(String text) {
            call.progress(new Params.Progress(Params.Progress.WARNING, STEPS.indexOf(phase) + 1, STEPS.size(), null,
                    Duration.between(started, Instant.now()).toMillis(), text));
        }

        void heartbeat() {
            call.progress(new Params.Progress(phase, STEPS.indexOf(phase) + 1, STEPS.size(), null,
                    Duration.between(started, Instant.now()).toMillis(), message));
        }
    }
}
