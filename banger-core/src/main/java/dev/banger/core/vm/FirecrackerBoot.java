package dev.banger.core.vm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Everything Firecracker is told before it boots a VM, validated, and the API requests that tell it, in
 * the order banger sends them (see the Firecracker API contract, firecracker-api.yaml): logger, metrics,
 * machine-config, boot-source, drives (root first), network-interfaces, vsock, then InstanceStart.
 * Pure: the host side sends {@link #calls()} over the API socket. The snapshot requests are here too
 * ({@link #pause}, {@link #createSnapshot}, {@link Restore}).
 *
 * @param kernel the uncompressed ELF vmlinux (Firecracker on x86-64 boots no bzImage)
 * @param drives the root drive first (it becomes /dev/vda), then the others in order
 */
public record FirecrackerBoot(Path logFile, Path metricsFile, int vcpus, int memoryMib, Path kernel, Optional<Path> initrd,
                              String bootArgs, List<Drive> drives, Optional<Nic> nic, OptionalLong vsockCid,
                              Optional<Path> vsockSocket) {

    /** One block device; {@code id} is Firecracker's drive_id (and the path segment). */
    public record Drive(String id, Path file, boolean root, boolean readOnly) {
        public Drive {
            requireId(id, "drive id");
            requireAbsolute(file, "drive " + id);
        }
    }

    /** The VM's network interface: a host tap and the guest's MAC. */
    public record Nic(String tap, String mac) {
        public Nic {
            if (tap == null || !dev.banger.core.net.InterfaceNames.isValid(tap)) {
                throw new IllegalArgumentException("bad tap name " + tap);
            }
            if (mac == null || !mac.matches("([0-9a-f]{2}:){5}[0-9a-f]{2}")) {
                throw new IllegalArgumentException("bad MAC " + mac);
            }
        }
    }

    /** One API request: method, path and JSON body (a map Jackson serialises; null for none). */
    public record Call(String method, String path, Map<String, Object> body) {
    }

    /** Firecracker's vsock CIDs: 0-2 are reserved (hypervisor, local, host). */
    static final long MIN_CID = 3;
    static final long MAX_CID = 0xFFFF_FFFEL;

    public FirecrackerBoot {
        requireAbsolute(logFile, "log file");
        requireAbsolute(metricsFile, "metrics file");
        requireAbsolute(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        initrd.ifPresent(p -> requireAbsolute(p, "initrd"));
        if (vcpus < 1 || vcpus > 32) {
            throw new IllegalArgumentException("Firecracker takes 1 to 32 vCPUs, not " + vcpus);
        }
        if (memoryMib < 1) {
            throw new IllegalArgumentException("memory must be positive");
        }
        if (bootArgs == null || bootArgs.isBlank() || bootArgs.chars().anyMatch(c -> c < 0x20 || c > 0x7e)) {
            throw new IllegalArgumentException("boot args must be printable ASCII");
        }
        drives = List.copyOf(drives);
        if (drives.isEmpty() || !drives.getFirst().root() || drives.stream().filter(Drive::root).count() != 1) {
            throw new IllegalArgumentException("exactly one root drive, and it comes first");
        }
        if (drives.stream().map(Drive::id).distinct().count() != drives.size()) {
            throw new IllegalArgumentException("drive ids must be unique");
        }
        Objects.requireNonNull(nic, "nic");
        if (vsockCid.isPresent() != vsockSocket.isPresent()) {
            throw new IllegalArgumentException("a vsock needs both a CID and a socket path");
        }
        if (vsockCid.isPresent() && (vsockCid.getAsLong() < MIN_CID || vsockCid.getAsLong() > MAX_CID)) {
            throw new IllegalArgumentException("vsock CID " + vsockCid.getAsLong() + " is outside 3..2^32-2");
        }
        vsockSocket.ifPresent(p -> requireAbsolute(p, "vsock socket"));
    }

    /** The pre-boot requests, in order; {@link #instanceStart()} follows them. */
    public List<Call> calls() {
        List<Call> calls = new ArrayList<>();
        calls.add(logger(logFile));
        calls.add(metrics(metricsFile));
        calls.add(put("/machine-config", body("vcpu_count", vcpus, "mem_size_mib", memoryMib, "smt", false)));
        Map<String, Object> boot = body("kernel_image_path", kernel.toString(), "boot_args", bootArgs);
        initrd.ifPresent(p -> boot.put("initrd_path", p.toString()));
        calls.add(put("/boot-source", boot));
        for (Drive d : drives) {
            calls.add(put("/drives/" + d.id(), body("drive_id", d.id(), "path_on_host", d.file().toString(),
                    "is_root_device", d.root(), "is_read_only", d.readOnly())));
        }
        nic.ifPresent(n -> calls.add(put("/network-interfaces/" + IFACE, body("iface_id", IFACE, "host_dev_name", n.tap(),
                "guest_mac", n.mac()))));
        if (vsockCid.isPresent()) {
            calls.add(put("/vsock", body("guest_cid", vsockCid.getAsLong(), "uds_path", vsockSocket.orElseThrow().toString())));
        }
        return List.copyOf(calls);
    }

    /** The guest's only interface: eth0 inside, named so in the API too. */
    public static final String IFACE = "eth0";

    public static Call instanceStart() {
        return put("/actions", body("action_type", "InstanceStart"));
    }

    /** The guest's init sees Ctrl-Alt-Del (i8042), shuts down and resets; Firecracker then exits. */
    public static Call sendCtrlAltDel() {
        return put("/actions", body("action_type", "SendCtrlAltDel"));
    }

    /** Firecracker's word for a paused microVM, in PATCH /vm and in GET /'s {@code state} (InstanceInfo). */
    public static final String PAUSED = "Paused";
    /** What PATCH /vm asks for to run a paused microVM again (GET / then says "Running"). */
    public static final String RESUMED = "Resumed";

    /** PATCH /vm Paused: the vCPUs stop; Firecracker's devices and API go on. Firecracker takes it again when paused. */
    public static Call pause() {
        return new Call("PATCH", "/vm", body("state", PAUSED));
    }

    /** PATCH /vm Resumed. */
    public static Call resume() {
        return new Call("PATCH", "/vm", body("state", RESUMED));
    }

    /**
     * PUT /snapshot/create of a full snapshot (the microVM must be paused): the device state to {@code vmstate},
     * the guest memory to {@code memory}, both paths as Firecracker sees them (inside its jail when jailed), both
     * created or truncated by Firecracker.
     */
    public static Call createSnapshot(Path vmstate, Path memory) {
        requireAbsolute(vmstate, "snapshot state file");
        requireAbsolute(memory, "snapshot memory file");
        if (vmstate.equals(memory)) {
            throw new IllegalArgumentException("the state and the memory need two files");
        }
        return put("/snapshot/create", body("snapshot_type", "Full", "snapshot_path", vmstate.toString(),
                "mem_file_path", memory.toString()));
    }

    /**
     * What a fresh Firecracker is told to resume a snapshot instead of booting, and the requests that tell it
     * ({@link #calls}). Paths are as Firecracker sees them.
     *
     * <p>What the contract (firecracker-api.yaml, SnapshotLoadParams) lets a load change: the tap behind each
     * interface ({@code network_overrides}: iface_id and host_dev_name) and the vsock device's Unix socket
     * ({@code vsock_override}); nothing else. The guest keeps the snapshot's MAC and vsock CID (they are guest
     * state), and the drives are reopened at the paths the snapshotted VM had: SnapshotLoadParams has no drive
     * override. PATCH /drives/{id} (post-boot, PartialDrive: path_on_host) can move a drive afterwards, and a
     * loaded microVM counts as started; so the load leaves the guest paused ({@code resume_vm: false}), each
     * drive is moved to this VM's file, and only then PATCH /vm Resumed lets the guest run. The snapshotted
     * VM's drive files must therefore still exist when the load opens them (a jailed Firecracker's are the
     * same names in every jail, so a jailed restore opens its own).
     *
     * @param drives this VM's drives, each under the id the snapshotted VM gave it
     * @param tap    the tap to put behind {@link #IFACE} instead of the snapshotted VM's
     * @param vsockSocket the vsock device's Unix socket for this VM (the guest's CID stays the snapshot's)
     */
    public record Restore(Path logFile, Path metricsFile, Path vmstate, Path memory, List<Drive> drives, Optional<String> tap,
                          Optional<Path> vsockSocket) {
        public Restore {
            requireAbsolute(logFile, "log file");
            requireAbsolute(metricsFile, "metrics file");
            requireAbsolute(vmstate, "snapshot state file");
            requireAbsolute(memory, "snapshot memory file");
            drives = List.copyOf(drives);
            if (drives.isEmpty() || drives.stream().map(Drive::id).distinct().count() != drives.size()) {
                throw new IllegalArgumentException("a restore moves every drive, each once");
            }
            Objects.requireNonNull(tap, "tap");
            if (tap.isPresent() && !dev.banger.core.net.InterfaceNames.isValid(tap.get())) {
                throw new IllegalArgumentException("bad tap name " + tap.get());
            }
            Objects.requireNonNull(vsockSocket, "vsockSocket");
            vsockSocket.ifPresent(p -> requireAbsolute(p, "vsock socket"));
        }

        /** Logger, metrics (the only resources a load may follow), the load, a PATCH per drive, then PATCH /vm Resumed. */
        public List<Call> calls() {
            List<Call> calls = new ArrayList<>();
            calls.add(logger(logFile));
            calls.add(metrics(metricsFile));
            calls.add(load());
            for (Drive d : drives) {
                calls.add(new Call("PATCH", "/drives/" + d.id(), body("drive_id", d.id(), "path_on_host", d.file().toString())));
            }
            calls.add(resume());
            return List.copyOf(calls);
        }

        /** PUT /snapshot/load, the guest left paused: its drives are moved before it runs. */
        Call load() {
            Map<String, Object> b = body("snapshot_path", vmstate.toString(),
                    "mem_backend", body("backend_type", "File", "backend_path", memory.toString()),
                    "resume_vm", false);
            tap.ifPresent(t -> b.put("network_overrides", List.of(body("iface_id", IFACE, "host_dev_name", t))));
            vsockSocket.ifPresent(p -> b.put("vsock_override", body("uds_path", p.toString())));
            return put("/snapshot/load", b);
        }
    }

    private static Call logger(Path logFile) {
        return put("/logger", body("log_path", logFile.toString(), "level", "Info", "show_level", true, "show_log_origin", false));
    }

    private static Call metrics(Path metricsFile) {
        return put("/metrics", body("metrics_path", metricsFile.toString()));
    }

    private static Call put(String path, Map<String, Object> body) {
        return new Call("PUT", path, body);
    }

    private static Map<String, Object> body(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static void requireId(String id, String what) {
        if (id == null || !id.matches("[A-Za-z0-9_]{1,64}")) {
            throw new IllegalArgumentException("bad " + what + " " + id);
        }
    }

    private static void requireAbsolute(Path p, String what) {
        if (p == null || !p.isAbsolute()) {
            throw new IllegalArgumentException(what + " must be an absolute path, not " + p);
        }
    }
}
