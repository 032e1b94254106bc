package dev.banger.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Parameter and result records of the RPC methods (see docs/API.md). */
public final class Params {
    private Params() {
    }

    /** {@code vm.create}: every field but none is optional; absent fields take the daemon's defaults. */
    public record VmCreate(String name, String image, Integer vcpus, Integer memoryMib, Long rootDiskMib,
                           Long workDiskMib, String vmm, String from, Boolean cold, java.util.List<String> publish,
                           java.util.List<String> mounts) {
        public VmCreate {
            publish = publish == null ? java.util.List.of() : java.util.List.copyOf(publish);
            mounts = mounts == null ? java.util.List.of() : java.util.List.copyOf(mounts);
        }

        /** A VM booted from its image (or its image's template, when one matches). */
        public VmCreate(String name, String image, Integer vcpus, Integer memoryMib, Long rootDiskMib, Long workDiskMib, String vmm) {
            this(name, image, vcpus, memoryMib, rootDiskMib, workDiskMib, vmm, null, null);
        }

        /** Without ports or mounts. */
        public VmCreate(String name, String image, Integer vcpus, Integer memoryMib, Long rootDiskMib, Long workDiskMib, String vmm,
                        String from, Boolean cold) {
            this(name, image, vcpus, memoryMib, rootDiskMib, workDiskMib, vmm, from, cold, null, null);
        }

        public boolean forcedCold() {
            return Boolean.TRUE.equals(cold);
        }
    }

    /** {@code vm.publish} and {@code vm.unpublish}: a port spec ({@code [HOST_IP:]HOST_PORT:GUEST_PORT[/PROTO]}; unpublish also takes {@code HOST_PORT[/PROTO]}). */
    public record VmPublish(String vm, String spec) {
    }

    /** {@code vm.snapshot}: saves a running VM; {@code name} (optional) names the snapshot, else one is made up. */
    public record VmSnapshot(String vm, String name) {
    }

    /** {@code snapshot.get} and {@code snapshot.delete}: a snapshot by its name or id. */
    public record SnapshotRef(String snapshot) {
    }

    /** {@code snapshot.list}: every snapshot, oldest first. */
    public record SnapshotList(java.util.List<SnapshotRecord> snapshots) {
    }

    /** {@code snapshot.delete}'s answer. */
    public record SnapshotDeleted(String id, String name, long freedBytes) {
    }

    /**
     * {@code vm.fork}: {@code count} (default 1, at most 16) new VMs that continue from {@code vm}'s state now, named
     * PREFIX-1..N ({@code name}; default the parent's name).
     */
    public record VmFork(String vm, Integer count, String name) {
    }

    /** {@code vm.fork}'s answer: the children, running, and how long the fork took. */
    public record VmForked(String parent, String snapshot, java.util.List<VmRecord> children, long pausedMs, long millis) {
    }

    /** {@code image.warm}: makes (or remakes) the template that makes {@code vm run} of the image instant. */
    public record ImageWarm(String image) {
    }

    /** {@code vm.get}: a VM named by its name or its id. */
    public record VmRef(String vm) {
    }

    /** {@code vm.delete}: {@code force} (optional, default false) also deletes a running or broken VM. */
    public record VmDelete(String vm, Boolean force) {
        public boolean forced() {
            return Boolean.TRUE.equals(force);
        }
    }

    /** {@code vm.stop}: {@code force} kills instead of asking the guest to power off. */
    public record VmStop(String vm, Boolean force) {
        public boolean forced() {
            return Boolean.TRUE.equals(force);
        }
    }

    /** A process holding a listening socket in a guest, as the guest agent reports it (untrusted text). */
    public record PortProcess(String name, long pid, String command) {
    }

    /** A listening socket in a guest, as the agent reports it: {@code address} as bound (0.0.0.0, ::, 127.0.0.1, ...). */
    public record PortListener(String proto, String address, int port, List<PortProcess> processes) {
    }

    /** The agent's answer to "ports": the listeners, and how many lines of ss output it could not read. */
    public record AgentPorts(List<PortListener> listeners, int skipped) {
    }

    /**
     * One row of {@code vm ports}: {@code proto} http, https, tls, tcp or udp; {@code endpoint} NAME.vm:PORT,
     * or the bound address when only the guest can reach it ({@code reachable} false); {@code url} for
     * http and https.
     */
    public record PortRow(String proto, String endpoint, String url, boolean reachable, String process, String command) {
    }

    /** The result of vm.ports: the rows, the transport used to ask the agent, and unreadable lines skipped. */
    public record VmPorts(String vm, String transport, List<PortRow> ports, int skipped) {
    }

    public record VmList(List<VmRecord> vms) {
    }

    /** {@code warnings}: what the delete found and left alone (a process standing in the VM's directory, say). */
    public record Deleted(String id, String name, List<String> warnings) {
        public Deleted {
            warnings = warnings == null ? List.of() : List.copyOf(warnings);
        }
    }

    /** {@code default_image}: what {@code vm.create} uses when no image is named (config: defaults.image). */
    public record DaemonStatus(String version, long pid, long uptimeSeconds, String home, String socket,
                               String database, int schemaVersion, int vmCount, int openConnections, String defaultImage,
                               String reconcile) {
    }

    public record ShutdownAccepted(boolean stopping) {
    }

    /** {@code daemon.teardown}: what was removed from the host. */
    public record TornDown(String bridge) {
    }

    /**
     * {@code image.build}: distro "debian" (default) or "void"; absent fields take the recipe's defaults.
     * {@code mirror} overrides the mirror found in the host's apt sources.
     */
    public record ImageBuild(String distro, String name, String suite, Long sizeMib, List<String> packages, String mirror) {
    }

    /** {@code image.get}, {@code image.delete}, {@code image.verify}. */
    public record ImageRef(String image) {
    }

    /** {@code image.import}: files on the daemon's host; {@code initrd} optional. */
    public record ImageImport(String name, String kernel, String rootfs, String initrd) {
    }

    /** An image as listed: its manifest, the disk it really uses (sparse files count allocated blocks) and its users. */
    public record ImageInfo(ImageManifest manifest, String dir, long diskUsageBytes, List<String> usedBy) {
    }

    public record ImageList(List<ImageInfo> images) {
    }

    public record ImageDeleted(String name) {
    }

    /** One check of {@code image.verify}. */
    public record Check(String name, boolean ok, String detail) {
    }

    public record ImageVerification(String image, boolean ok, List<Check> checks) {
    }

    /**
     * A progress notification ({@code "method": "progress"}) sent on the connection of a long call
     * before its response.
     */
    public record Progress(String phase, int step, int steps, Integer percent, long elapsedMs, String message) {
        /** The phase of a warning: the message says what a fallback costs; clients show it in full. */
        public static final String WARNING = "warning";
    }

    /**
     * {@code vm.exec}: runs {@code argv} in the VM through its guest agent, exactly as given (no shell).
     * Optional: {@code env} (laid over a login-like environment), {@code cwd} (absolute; default the user's
     * home), {@code user} (default root), {@code tty} (a pseudo-terminal of {@code rows} x {@code cols}),
     * {@code stdin} (false: the command reads /dev/null), {@code keep} (the command outlives a client that
     * goes away, instead of being hung up), {@code readyTimeoutMs} (how long to wait for the guest to be
     * ready, default 60 s). The response is {@link Conversation}; after it the connection carries the
     * exec records both ways (docs/API.md).
     */
    public record VmExec(String vm, List<String> argv, Map<String, String> env, String cwd, String user, Boolean tty,
                         Integer rows, Integer cols, Boolean stdin, Boolean keep, Long readyTimeoutMs) {
    }

    /**
     * {@code vm.cp}: a copy between the caller and {@code path} in the VM (absolute), {@code direction} "in"
     * (the caller sends an archive that the VM's agent writes at {@code path}) or "out" (the agent sends
     * {@code path}'s archive). {@code readyTimeoutMs} as for {@link VmExec}. The response is {@link Conversation};
     * after it the connection carries the copy (docs/API.md, "vm.cp"). Host files are the
     * caller's to read and write: bangerd only carries the bytes.
     */
    public record VmCp(String vm, String path, String direction, Long readyTimeoutMs) {
    }

    /**
     * The response of a method that continues on its connection: what the bytes after the response line
     * are ({@code protocol}, e.g. {@code exec-records/1}), and through which transport the VM was reached.
     */
    public record Conversation(String vm, String protocol, String transport) {
    }

    /**
     * {@code vm.exec_detach}: starts {@code argv} in the VM in the background, as {@code vm.exec} would run it
     * (no terminal); {@code stdin} true keeps a pipe to its stdin for a later {@code vm.exec_attach} with
     * stdin, else it reads /dev/null. The result is {@link ExecStarted}.
     */
    public record VmExecDetach(String vm, List<String> argv, Map<String, String> env, String cwd, String user, Boolean stdin,
                               Long readyTimeoutMs) {
    }

    /** A detached process just started: its id (what the other vm.exec_* methods take) and its pid in the guest. */
    public record ExecStarted(String vm, String id, long pid) {
    }

    /**
     * A detached process as the guest agent reports it (untrusted): {@code state} running or exited,
     * {@code exitStatus} once exited (128+N when signal N ended it), its age and how long ago it ended,
     * whether it has a stdin pipe and a client attached, and how many bytes of each output were dropped
     * (the agent keeps the last 256 KiB of each).
     */
    public record ExecProcess(String id, long pid, List<String> argv, String state, Integer exitStatus, long ageMs, Long endedMsAgo,
                              boolean stdin, boolean attached, long stdoutDropped, long stderrDropped) {
    }

    /** {@code vm.exec_list}: a VM's detached processes, oldest first, and how many it may hold. */
    public record ExecProcesses(String vm, List<ExecProcess> processes, int max) {
    }

    /** {@code vm.exec_signal}: {@code signal} (a name such as TERM or a number; default KILL) to the process group of {@code id}. */
    public record VmExecSignal(String vm, String id, String signal) {
    }

    /** The result of {@code vm.exec_signal}: which process got which signal. */
    public record ExecSignalled(String vm, String id, long pid, String signal, int number) {
    }

    /**
     * {@code vm.exec_attach}: joins the detached process {@code id} (its kept output, then its live output;
     * with {@code stdin}, the caller's stdin). The response is {@link Conversation}, as for {@code vm.exec}.
     */
    public record VmExecAttach(String vm, String id, Boolean stdin) {
    }

    /**
     * {@code vm.task_start}: starts the VM's task {@code task} (default "main"): {@code argv} as {@code vm.exec_detach}
     * runs it (no shell, no stdin), under a tag the agent selects it by; bangerd keeps its exit in SQLite.
     */
    public record VmTaskStart(String vm, String task, List<String> argv, Map<String, String> env, String cwd, String user,
                              Long readyTimeoutMs) {
    }

    /** {@code vm.task_status}: one task of a VM ({@code task} default "main"). */
    public record VmTaskRef(String vm, String task) {
    }

    /** {@code vm.task_wait}: as {@link VmTaskRef}, blocking at most {@code timeoutMs} (default 60000, at most 600000) for its end. */
    public record VmTaskWait(String vm, String task, Long timeoutMs) {
    }

    /** {@code vm.task_signal}: {@code signal} (as {@code vm.exec_signal} takes it; default KILL) to the task's process group. */
    public record VmTaskSignal(String vm, String task, String signal) {
    }

    /**
     * {@code vm.task_attach}: the task's output from the byte positions {@code stdoutOffset} and {@code stderrOffset}
     * (default 0: all the agent still keeps), then its exit. With {@code resume} true, an offset not given starts where
     * the task's clients last reported delivering ({@code DELIVERED} records, kept by bangerd across restarts). The
     * response is {@link Conversation}.
     */
    public record VmTaskAttach(String vm, String task, Long stdoutOffset, Long stderrOffset, Boolean resume) {
        public VmTaskAttach(String vm, String task, Long stdoutOffset, Long stderrOffset) {
            this(vm, task, stdoutOffset, stderrOffset, null);
        }
    }

    /**
     * A task as bangerd knows it: {@code state} "running", "exited" (with {@code exitCode}, 0-255, 128+N when signal N
     * ended it, and then {@code signal}: N, null when no signal ended it or the VM's agent is too old to say) or "lost" (it
     * ended, or may have, without its exit being known: {@code reason} says why); the agent's id and pid once started; when
     * it started and ended (as bangerd learnt it).
     */
    public record TaskStatus(String vm, String vmId, String task, String state, Integer exitCode, Integer signal, String reason, String id,
                             Long pid,
                             List<String> argv, Instant startedAt, Instant finishedAt) {
    }

    /**
     * {@code vm.usage}: samples VM {@code vm}'s VMM process over {@code intervalMs} (default 250; 100 to 5000, so no caller
     * holds bangerd long: sample again for a longer view).
     */
    public record VmUsage(String vm, Long intervalMs) {
    }

    /**
     * {@code vm.usage}'s answer, measured on the host (nothing asked of the guest): {@code cores} is the VMM's CPU time
     * over the wall time sampled (1.0 is one host core busy throughout), {@code cpuPercent} that as a share of the VM's
     * {@code vcpus} (0 to 100), {@code rssBytes} the VMM's resident memory at the end (the guest memory it has touched and
     * its own). The three are null when nothing was measured: the VM does not run ({@code state}), or its VMM ended
     * during the sample. {@code sampledAt}: the end of the sample.
     */
    public record VmUsageSample(String vm, String vmId, String state, int vcpus, Double cores, Double cpuPercent,
                                Long rssBytes, long intervalMs, Instant sampledAt) {
    }

    /** {@code e2b.key_create}: {@code name} (optional) is a label for {@code key list}. */
    public record E2bKeyCreate(String name) {
    }

    /** {@code e2b.key_create}'s answer: {@code key} is shown this once; the daemon keeps only its salted hash. */
    public record E2bKeyCreated(String id, String name, String key, java.time.Instant createdAt) {
    }

    /** An E2B API key as listed: never the key. {@code revokedAt} is null while it works. */
    public record E2bKeyInfo(String id, String name, java.time.Instant createdAt, java.time.Instant revokedAt) {
    }

    public record E2bKeyList(java.util.List<E2bKeyInfo> keys) {
        public E2bKeyList {
            keys = java.util.List.copyOf(keys);
        }
    }

    /** {@code e2b.key_revoke}: the key's id (from {@code key list}). */
    public record E2bKeyRef(String id) {
    }
}
