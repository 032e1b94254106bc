package dev.banger.daemon.vmm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.api.VmSpec;
import dev.banger.core.snapshot.SnapshotNeeds;
import dev.banger.core.vm.VmmKind;
import dev.banger.core.vm.KernelKind;
import dev.banger.host.guest.AgentConnection;
import dev.banger.host.guest.AgentTransport;
import dev.banger.host.vm.VmHandles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A VMM that runs nothing: it records every call, keeps "running" VMMs as fake pids in memory, can be
 * told to fail (or to crash the daemon, as an Error that no undo catches) at any call, and can make a VM's
 * VMM "die". For orchestration tests that need no root, no QEMU and no network; the real drivers are
 * proven by the integration tests.
 */
public final class FakeVmm implements Vmm {
    /** What a {@code kill -9} of the daemon at a call looks like to the code above: nothing after it runs, no undo. */
    public static final class DaemonCrash extends Error {
        public DaemonCrash(String where) {
            super("daemon killed at " + where);
        }
    }

    /** Above any real pid banger would see here, within the range VmHandles accepts. */
    private static final AtomicLong PIDS = new AtomicLong(4_000_000);

    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Long> running = new ConcurrentHashMap<>();
    private final Map<String, Throwable> failures = new ConcurrentHashMap<>();
    /** Where each VM's "guest agent" listens (a Unix socket a test serves), by VM id. */
    private final Map<String, Path> agents = new ConcurrentHashMap<>();
    private final Path vmsDir;

    public FakeVmm(Path vmsDir) {
        this.vmsDir = vmsDir;
    }

    /** Every call, as "operation vm-name", in order. */
    public List<String> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    /** The next call of {@code operation} ("prepareRoot", "launch", "stop", "kill", "releaseRoot") throws {@code failure}. */
    public void failOn(String operation, Throwable failure) {
        failures.put(operation, failure);
    }

    /** The VM's VMM exits behind banger's back. */
    public void die(VmRecord vm) {
        running.remove(vm.id());
    }

    /** A VMM running for {@code vmId} that banger did not start through this driver (a database put back, another home's). */
    public long adopt(String vmId) {
        long pid = PIDS.incrementAndGet();
        running.put(vmId, pid);
        return pid;
    }

    public boolean runs(VmRecord vm) {
        return running.containsKey(vm.id());
    }

    public Map<String, Long> running() {
        return Map.copyOf(running);
    }

    private void call(String operation, VmRecord vm) {
        calls.add(operation + " " + (vm == null ? "-" : vm.name()));
        Throwable f = failures.remove(operation);
        if (f instanceof RuntimeException r) {
            throw r;
        }
        if (f instanceof Error e) {
            throw e;
        }
    }

    @Override
    public String displayName() {
        return "FakeVMM";
    }

    @Override
    public List<KernelKind> kernels() {
        return List.of(KernelKind.BZIMAGE);
    }

    @Override
    public Path prepareRoot(VmRecord vm, Path rootfs, VmHandles handles, Consumer<VmHandles> record, Consumer<String> warn) {
        call("prepareRoot", vm);
        Path overlay = Path.of(vm.runtime().systemOverlay());
        try {
            if (!Files.exists(overlay)) {
                Files.createFile(overlay);
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "fake overlay: " + e.getMessage(), e);
        }
        return overlay;
    }

    @Override
    public void releaseRoot(VmRecord vm, VmHandles handles) {
        call("releaseRoot", vm);
    }

    @Override
    public long launch(VmRecord vm, BootPlan plan) {
        call("launch", vm);
        long pid = PIDS.incrementAndGet();
        running.put(vm.id(), pid);
        return pid;
    }

    @Override
    public Optional<Long> find(VmRecord vm) {
        return Optional.ofNullable(running.get(vm.id()));
    }

    @Override
    public boolean isRunning(VmRecord vm, long pid) {
        Long p = running.get(vm.id());
        return p != null && p == pid;
    }

    @Override
    public Map<Long, Path> findAll(Path dir) {
        Map<Long, Path> out = new TreeMap<>();
        if (dir.equals(vmsDir)) {
            running.forEach((id, pid) -> out.put(pid, vmsDir.resolve(id).resolve("api.sock")));
        }
        return out;
    }

    @Override
    public boolean stop(VmRecord vm, long pid, Duration grace) {
        call("stop", vm);
        running.values().remove(pid);
        return true;
    }

    @Override
    public void kill(long pid) {
        call("kill", null);
        running.values().remove(pid);
    }

    @Override
    public AgentTransport agentTransport() {
        return AgentTransport.SERIAL;
    }

    @Override
    public AgentConnection openAgent(VmRecord vm, VmHandles handles, Duration timeout) {
        Path socket = agents.get(vm.id());
        if (socket == null) {
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the fake VMM runs no guest");
        }
        return AgentConnection.unix(socket, timeout);
    }

    /** The VM's agent is whatever serves {@code socket} (the agent transport is then the serial port's). */
    public void agentAt(String vmId, Path socket) {
        agents.put(vmId, socket);
    }

    private final Set<String> paused = ConcurrentHashMap.newKeySet();

    @Override
    public SnapshotNeeds snapshotNeeds(VmSpec spec) {
        return new SnapshotNeeds(VmmKind.QEMU, "fake-1", "fake", "none", spec.vcpus(), spec.memoryMib(), spec.image());
    }

    /** Writes a small "state" and "root" file, as a driver writes its own; the VM stays paused. */
    @Override
    public SavedState saveState(VmRecord vm, Path dir, long maxStateBytes, Duration timeout) {
        paused.add(vm.id());
        call("saveState", vm);
        try {
            Files.writeString(dir.resolve("state"), "fake state of " + vm.id());
            Files.writeString(dir.resolve("root"), "fake root of " + vm.id());
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "fake state: " + e.getMessage(), e);
        }
        return new SavedState(20, Duration.ofMillis(5));
    }

    @Override
    public void resume(VmRecord vm, Duration timeout) {
        call("resume", vm);
        paused.remove(vm.id());
    }

    @Override
    public boolean paused(VmRecord vm, Duration timeout) {
        return paused.contains(vm.id());
    }

    @Override
    public Path prepareRootFromSnapshot(VmRecord vm, Path dir, VmHandles handles, Consumer<VmHandles> record, Consumer<String> warn) {
        call("prepareRootFromSnapshot", vm);
        Path overlay = Path.of(vm.runtime().systemOverlay());
        try {
            Files.writeString(overlay, "over " + dir.resolve("root"));
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "fake overlay: " + e.getMessage(), e);
        }
        return overlay;
    }

    @Override
    public long launchRestored(VmRecord vm, BootPlan plan, Path dir, Duration timeout) {
        call("launchRestored", vm);
        if (!Files.exists(dir.resolve("state"))) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "fake: no state in " + dir);
        }
        long pid = PIDS.incrementAndGet();
        running.put(vm.id(), pid);
        return pid;
    }

    @Override
    public Capability.Support supports(Capability capability) {
        return capability == Capability.SNAPSHOT ? Capability.Support.yes() : Capability.Support.no("the fake does not mount");
    }

    @Override
    public String describe() {
        return "a fake VMM for tests";
    }
}
