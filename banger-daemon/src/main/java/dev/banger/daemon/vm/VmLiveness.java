package dev.banger.daemon.vm;

import dev.banger.api.VmRecord;
import dev.banger.core.net.InterfaceNames;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.Vmms;
import dev.banger.host.vm.VmHandles;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The single source of truth for "is this VM's VMM running?" and "what does it hold?". No other class
 * looks at pids or process tables (ArchitectureTest enforces it): they ask here.
 *
 * <p>Truth comes from the process table (a process whose command line names the VM's control socket);
 * the handle cache and the scratch file only say what to look for and what to clean up.
 */
public final class VmLiveness {
    private static final long EXIT_POLL_MILLIS = 200;

    private final Vmms vmms;
    private final VmHandleCache cache;

    public VmLiveness(Vmms vmms, VmHandleCache cache) {
        this.vmms = vmms;
        this.cache = cache;
    }

    /**
     * {@code vm}'s handles as they are now. When its VMM runs, the process scan's pid wins over whatever
     * the scratch file says; when it does not, the scratch file's contents come back as they are (with
     * the pid it recorded), so that cleanup can still release the tap, loops and dm target it names. The
     * tap is deterministic, so it is always filled in.
     */
    public VmHandles rediscoverHandles(VmRecord vm) {
        return rediscoverHandles(vm, vmms.of(vm).find(vm));
    }

    /** As {@link #rediscoverHandles(VmRecord)}, with the process scan's answer already at hand (see {@link #scan}). */
    VmHandles rediscoverHandles(VmRecord vm, Optional<Long> running) {
        VmHandles scratch = cache.load(vm);
        VmHandles base = scratch.tap() == null ? scratch.withTap(InterfaceNames.tapFor(vm.id())) : scratch;
        return running.map(base::withPid).orElse(base);
    }

    /**
     * What one pass over the process table says about many VMs at once (reconcile at start: one scan,
     * not one per VM): the pid of each running VMM by VM id, and the VMMs in banger's VM directories that
     * belong to none of {@code vms}.
     */
    record Scan(Map<String, Long> running, Map<Long, Path> strays) {
    }

    Scan scan(Collection<VmRecord> vms, Path vmsDir) {
        Map<Path, String> idBySocket = new HashMap<>();
        for (VmRecord vm : vms) {
            idBySocket.put(Path.of(vm.runtime().apiSockPath()), vm.id());
        }
        Map<String, Long> running = new HashMap<>();
        Map<Long, Path> strays = new TreeMap<>();
        allVmms(vmsDir).forEach((pid, socket) -> {
            String id = idBySocket.get(socket);
            if (id == null || running.putIfAbsent(id, pid) != null) {
                strays.put(pid, socket); // no record, or a second VMM on one VM's socket
            }
        });
        return new Scan(running, strays);
    }

    /** Every running VMM of any kind whose control socket lies in banger's VM directories, by pid. */
    Map<Long, Path> allVmms(Path vmsDir) {
        Map<Long, Path> found = new TreeMap<>();
        for (Vmm v : vmms.all()) {
            found.putAll(v.findAll(vmsDir));
        }
        return found;
    }

    /**
     * Whether {@code vm}'s VMM runs. A cached pid is checked first (cheap: one process, its command line
     * must still name the VM's socket, so a reused pid is not mistaken for it); otherwise, or when that
     * pid is gone, the process table is scanned.
     */
    boolean vmAlive(VmRecord vm) {
        return runningPid(vm).isPresent();
    }

    /**
     * Completes when {@code pid}, {@code vm}'s VMM, has exited (polled every 200 ms on a virtual thread:
     * for a process that is not the daemon's child, as after a restart, there is no exit notification).
     */
    CompletableFuture<Void> whenExited(VmRecord vm, long pid) {
        CompletableFuture<Void> exited = new CompletableFuture<>();
        Thread.ofVirtual().name("vmm-exit-" + vm.id()).start(() -> {
            try {
                while (vmms.of(vm).isRunning(vm, pid)) {
                    Thread.sleep(EXIT_POLL_MILLIS);
                }
                exited.complete(null);
            } catch (InterruptedException e) {
                exited.completeExceptionally(e);
            }
        });
        return exited;
    }

    /** The pid of {@code vm}'s running VMM, by the same rule as {@link #vmAlive}. */
    Optional<Long> runningPid(VmRecord vm) {
        Optional<VmHandles> cached = cache.get(vm.id());
        Vmm vmm = vmms.of(vm);
        if (cached.isPresent() && cached.get().hasProcess() && vmm.isRunning(vm, cached.get().vmmPid())) {
            return Optional.of(cached.get().vmmPid());
        }
        return vmm.find(vm);
    }
}
