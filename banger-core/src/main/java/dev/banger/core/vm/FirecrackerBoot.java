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
 * Pure: the host side sends {@link #calls()} over the API socket.
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
        calls.add(put("/logger", body("log_path", logFile.toString(), "level", "Info", "show_level", true, "show_log_origin", false)));
        calls.add(put("/metrics", body("metrics_path", metricsFile.toString())));
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
