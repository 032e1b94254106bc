package dev.banger.fcstub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Firecracker's API behaviour: first the contract (every request, see {@link ApiContract}), then the
 * checks Firecracker makes itself (ids in the path and the body agree, files exist, the kernel is an
 * ELF, one root drive, the logger and metrics once), then the phase: before InstanceStart only
 * configuration, after it only the few operations a running microVM takes.
 *
 * <p>Requests are handled one at a time, as Firecracker's single API thread does.
 */
final class ApiController {
    static final String APP_NAME = "Firecracker";
    static final String STATE_NOT_STARTED = "Not started";
    static final String STATE_RUNNING = "Running";
    static final String STATE_PAUSED = "Paused";
    /** The states PATCH /vm asks for (the contract's Vm.state). */
    static final String VM_PAUSED = "Paused";
    static final String VM_RESUMED = "Resumed";
    /** How long a restore may take to give the saved state to the emulated guest (QEMU loading it under TCG). */
    static final Duration GUEST_STATE_TIMEOUT = Duration.ofMinutes(5);
    /** Firecracker's rule for drive and interface ids (src/vmm/src/vmm_config/mod.rs). */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_]{1,64}");
    /** The vsock port banger's guest agent listens on (dev.banger.host.guest.AgentConnection.AGENT_PORT). */
    static final int AGENT_VSOCK_PORT = 1024;
    private static final Pattern MAC = Pattern.compile("([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}");

    private final ApiContract contract;
    private final String instanceId;
    private final Guest guest;
    private final GuestAddress guestAddress;
    private final RequestLog requests;
    private final VmmFiles files;
    private final ObjectMapper json;
    private final VmConfig config = new VmConfig();
    private final Runnable fatal;
    /** InstanceInfo.state: "Not started" until InstanceStart or a snapshot load, then "Running" or "Paused". */
    private String state = STATE_NOT_STARTED;
    /**
     * A loaded snapshot whose state the emulated guest has not taken yet. Firecracker builds the machine at the load;
     * the stub starts its QEMU only when the guest is to run (or be saved, or pressed), so that drives a PATCH moved
     * after the load are the ones QEMU opens, as they are the ones Firecracker's guest uses once resumed.
     */
    private Optional<Pending> pending = Optional.empty();
    private boolean fatalFault;
    private VsockProxy vsock;
    private final Object addressLock = new Object();
    private Optional<InetAddress> foundGuestAddress = Optional.empty();

    /** A loaded state waiting for the guest: the state file and where QEMU's stream starts in it. */
    private record Pending(Path vmstate, long offset) {
    }

    /**
     * @param fatal run after answering a request that leaves the process unusable (a snapshot load that failed past
     *              its checks: Firecracker reports the error and exits)
     */
    ApiController(ApiContract contract, String instanceId, Guest guest, GuestAddress guestAddress, RequestLog requests,
                  ObjectMapper json, Runnable fatal) {
        this.fatal = fatal;
        this.contract = contract;
        this.instanceId = instanceId;
        this.guest = guest;
        this.guestAddress = guestAddress;
        this.requests = requests;
        this.json = json;
        this.files = new VmmFiles(instanceId, contract.version(), json);
    }

    synchronized ApiResponse handle(ApiRequest request) {
        ApiResponse response;
        String fault = null;
        try {
            response = dispatch(request);
        } catch (Fault f) {
            fault = f.getMessage();
            response = ApiResponse.fault(json, ApiResponse.BAD_REQUEST, fault);
        } catch (RuntimeException e) {
            fault = "internal error in the banger Firecracker stub: " + e;
            e.printStackTrace();
            response = ApiResponse.fault(json, ApiResponse.INTERNAL_ERROR, fault);
        }
        requests.add(new Recorded(request.method(), request.recordedPath(), requests.bodyOf(request.body()), response.status()));
        files.log("The API server received a " + request.method() + " request on \"" + request.path() + "\": " + response.status());
        System.err.println("fcstub: " + request.method() + " " + request.recordedPath() + " " + response.status()
                + (fault == null ? "" : " " + fault));
        if (fatalFault) {
            fatalFault = false;
            fatal.run();
        }
        return response;
    }

    synchronized boolean started() {
        return !state.equals(STATE_NOT_STARTED);
    }

    /** Ends the vsock proxy (and removes its socket). */
    synchronized void close() {
        if (vsock != null) {
            vsock.close();
            vsock = null;
        }
    }

    private ApiResponse dispatch(ApiRequest r) throws Fault {
        List<String> violations = contract.violations(r);
        if (!violations.isEmpty()) {
            throw new Fault(String.join("; ", violations));
        }
        JsonNode body = parse(r.body());
        String method = r.method().toUpperCase(Locale.ROOT);
        String path = r.path();
        String[] seg = path.substring(1).split("/", -1);
        switch (method + " " + (seg.length == 2 && (seg[0].equals("drives") || seg[0].equals("network-interfaces")) ? "/" + seg[0] + "/{id}" : path)) {
            case "GET /" -> {
                return ApiResponse.ok(json.createObjectNode().put("app_name", APP_NAME).put("id", instanceId)
                        .put("state", state).put("vmm_version", contract.version()));
            }
            case "GET /version" -> {
                return ApiResponse.ok(json.createObjectNode().put("firecracker_version", contract.version()));
            }
            case "GET /machine-config" -> {
                return ApiResponse.ok(config.machine.json(json));
            }
            case "GET /vm/config" -> {
                return ApiResponse.ok(config.fullConfig(json));
            }
            case "PUT /actions" -> action(require(body).path("action_type").asText());
            case "PUT /logger" -> putLogger(require(body));
            case "PUT /metrics" -> putMetrics(require(body));
            case "PUT /machine-config" -> putMachine(require(body), VmConfig.DEFAULT_MACHINE);
            case "PATCH /machine-config" -> putMachine(require(body), config.machine);
            case "PUT /boot-source" -> putBootSource(require(body));
            case "PUT /drives/{id}" -> putDrive(seg[1], require(body));
            case "PATCH /drives/{id}" -> patchDrive(seg[1], require(body));
            case "PUT /network-interfaces/{id}" -> putNic(seg[1], require(body));
            case "PATCH /network-interfaces/{id}" -> patchNic(seg[1], require(body));
            case "PUT /vsock" -> putVsock(require(body));
            case "PATCH /vm" -> patchVm(require(body).get("state").asText());
            case "PUT /snapshot/create" -> createSnapshot(require(body));
            case "PUT /snapshot/load" -> loadSnapshot(require(body));
            default -> unimplemented(method, path);
        }
        return ApiResponse.noContent();
    }

    private void action(String type) throws Fault {
        switch (type) {
            case "InstanceStart" -> instanceStart();
            case "SendCtrlAltDel" -> {
                requireStarted();
                guestTakesPendingState();
                guest.ctrlAltDel();
            }
            case "FlushMetrics" -> files.flushMetrics(requests.all().size() + 1);
            default -> throw new Fault("unknown action_type " + type); // the contract's enum stops it first
        }
    }

    private void instanceStart() throws Fault {
        requireNotStarted();
        if (config.boot.isEmpty()) {
            throw new Fault("Cannot start microvm that was not configured: the boot source (kernel) is missing; PUT /boot-source first");
        }
        guest.start(config);
        state = STATE_RUNNING;
        serveVsock();
        files.log("Successfully started microvm that was configured from one single json");
    }

    /** Host-initiated vsock connections go to the guest's agent port, or to TCP on its address. */
    private void serveVsock() {
        if (vsock != null) {
            List<Path> drives = config.drivesRootFirst().stream().map(VmConfig.Drive::path).toList();
            vsock.serve(port -> port == AGENT_VSOCK_PORT && guest.agentSerial().isPresent()
                    ? guest.agentSerial().map(UnixDomainSocketAddress::of)
                    : guestAddressOf(drives).map(a -> new InetSocketAddress(a, port)));
        }
    }

    /** PATCH /vm: Paused stops the vCPUs, Resumed runs them again; each again is fine, as in Firecracker. */
    private void patchVm(String wanted) throws Fault {
        requireStarted();
        if (wanted.equals(VM_PAUSED)) {
            if (pending.isEmpty()) {
                guest.pause();
            }
            state = STATE_PAUSED;
            files.log("Paused the microVM");
        } else {
            guestTakesPendingState();
            guest.resume();
            state = STATE_RUNNING;
            files.log("Resumed the microVM");
        }
    }

    /** PUT /snapshot/create: only of a paused microVM; the files are written as {@link SnapshotFiles} says. */
    private void createSnapshot(JsonNode b) throws Fault {
        requireStarted();
        SnapshotRequests.Create c = SnapshotRequests.create(b, config.machine);
        if (!state.equals(STATE_PAUSED)) {
            throw new Fault(SnapshotFiles.CREATE_ERROR + "Cannot save the microVM state: Operation not allowed: save/restore "
                    + "unavailable while running (pause the microVM first: PATCH /vm Paused)");
        }
        guestTakesPendingState();
        String id = SnapshotFiles.newId();
        try {
            // Firecracker creates or truncates both files
            Files.deleteIfExists(c.vmstate());
            guest.save(c.vmstate(), SnapshotFiles.header(json, id, contract.version(), config.snapshotConfig(json)), GUEST_STATE_TIMEOUT);
            SnapshotFiles.writeMemory(json, c.memory(), id, (long) config.machine.memMib() * 1024 * 1024);
        } catch (IOException | Fault e) {
            deleteQuietly(c.vmstate());
            deleteQuietly(c.memory());
            throw e instanceof Fault f ? f : new Fault(SnapshotFiles.CREATE_ERROR + "Cannot write the snapshot: " + e.getMessage());
        }
        files.log("Snapshot created: " + c.vmstate() + ", memory " + c.memory());
    }

    /**
     * PUT /snapshot/load: only on a fresh process (the logger and metrics aside). Past the request's own checks, a
     * failure ends the stub after the answer, as it ends Firecracker ({@link #fatal}).
     */
    private void loadSnapshot(JsonNode b) throws Fault {
        requireNotStarted();
        if (config.bootSpecific()) {
            throw new Fault("Loading a microVM snapshot not allowed after configuring boot-specific resources.");
        }
        SnapshotRequests.Load load = SnapshotRequests.load(b);
        try {
            restore(load);
        } catch (Fault f) {
            fatalFault = true;
            throw f;
        }
        files.log("Loaded the microVM from snapshot " + load.vmstate());
        if (load.resume()) {
            patchVm(VM_RESUMED);
        }
    }

    /** The machine the state file records, with the overrides and its files and taps checked ({@link SnapshotRestore}). */
    private void restore(SnapshotRequests.Load load) throws Fault {
        SnapshotFiles.State saved = SnapshotRestore.configure(config, load, json, contract.version());
        if (config.vsock.isPresent()) {
            try {
                vsock = VsockProxy.bind(HostChecks.freeSocketPath(config.vsock.get().udsPath().toString()));
            } catch (Fault f) {
                throw new Fault(SnapshotFiles.LOAD_ERROR + "Failed to restore devices: Vsock: " + f.getMessage());
            }
        }
        pending = Optional.of(new Pending(load.vmstate(), saved.streamOffset()));
        state = STATE_PAUSED;
    }

    /** A loaded state goes to the emulated guest when it is first needed (see {@link #pending}); stays paused. */
    private void guestTakesPendingState() throws Fault {
        if (pending.isEmpty()) {
            return;
        }
        Pending p = pending.get();
        try {
            guest.restore(config, p.vmstate(), p.offset(), GUEST_STATE_TIMEOUT);
        } catch (Fault f) {
            fatalFault = true; // the microVM Firecracker would have built cannot run: nothing is left to serve
            throw f;
        }
        pending = Optional.empty();
        serveVsock();
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("fcstub: cannot remove " + p + ": " + e.getMessage());
        }
    }

    /** The guest's address, looked up until found once (the config drive does not change while the guest runs). */
    private Optional<InetAddress> guestAddressOf(List<Path> drives) {
        synchronized (addressLock) {
            if (foundGuestAddress.isEmpty()) {
                foundGuestAddress = guestAddress.find(drives);
            }
            return foundGuestAddress;
        }
    }

    private void putLogger(JsonNode b) throws Fault {
        requireNotStarted();
        if (config.logger.isPresent()) {
            throw new Fault("Cannot initialize the logger: the logger was already initialized (it can be configured only once)");
        }
        Optional<Path> file = b.has("log_path") ? Optional.of(HostChecks.existingFile("Logger log_path", b.get("log_path").asText()))
                : Optional.empty();
        config.logger = Optional.of(b);
        file.ifPresent(files::logTo);
    }

    private void putMetrics(JsonNode b) throws Fault {
        requireNotStarted();
        if (config.metrics.isPresent()) {
            throw new Fault("Cannot initialize the metrics system: it was already initialized (it can be configured only once)");
        }
        Path file = HostChecks.existingFile("Metrics metrics_path", b.get("metrics_path").asText());
        config.metrics = Optional.of(b);
        files.metricsTo(file);
    }

    /** PUT starts from Firecracker's defaults, PATCH from the current configuration. */
    private void putMachine(JsonNode b, VmConfig.Machine base) throws Fault {
        requireNotStarted();
        VmConfig.Machine m = new VmConfig.Machine(
                b.has("vcpu_count") ? b.get("vcpu_count").asInt() : base.vcpus(),
                b.has("mem_size_mib") ? b.get("mem_size_mib").asInt() : base.memMib(),
                b.has("smt") ? b.get("smt").asBoolean() : base.smt(),
                b.has("track_dirty_pages") ? b.get("track_dirty_pages").asBoolean() : base.trackDirtyPages(),
                b.has("huge_pages") ? b.get("huge_pages").asText() : base.hugePages(),
                b.has("cpu_template") ? Optional.of(b.get("cpu_template").asText()) : base.cpuTemplate());
        if (m.memMib() < 1) {
            throw new Fault("The memory size (MiB) is invalid: " + m.memMib());
        }
        if (m.smt() && m.vcpus() > 1 && m.vcpus() % 2 != 0) {
            throw new Fault("The vCPU number is invalid! The vCPU number can only be 1 or an even number when SMT is enabled.");
        }
        if (m.hugePages().equals("2M") && m.memMib() % 2 != 0) {
            throw new Fault("The memory size (MiB) must be a multiple of 2 with 2M huge pages: " + m.memMib());
        }
        config.machine = m;
        config.machineConfigured = true;
    }

    private void putBootSource(JsonNode b) throws Fault {
        requireNotStarted();
        Path kernel = HostChecks.existingFile("Kernel image kernel_image_path", b.get("kernel_image_path").asText());
        HostChecks.elf64X86(kernel);
        Optional<Path> initrd = b.has("initrd_path")
                ? Optional.of(HostChecks.existingFile("Initrd initrd_path", b.get("initrd_path").asText())) : Optional.empty();
        Optional<String> args = b.has("boot_args") ? Optional.of(b.get("boot_args").asText()) : Optional.empty();
        config.boot = Optional.of(new VmConfig.Boot(kernel, initrd, args, b));
    }

    private void putDrive(String pathId, JsonNode b) throws Fault {
        requireNotStarted();
        String id = sameId(pathId, b, "drive_id");
        if (b.has("socket")) {
            throw new Fault("The banger Firecracker stub does not emulate vhost-user block devices (drive " + id + " has 'socket')");
        }
        if (!b.has("path_on_host")) {
            throw new Fault("Unable to create the block device " + id + ": path_on_host is required for a virtio-block drive");
        }
        Path file = HostChecks.existingFile("Drive " + id + " path_on_host", b.get("path_on_host").asText());
        boolean root = b.get("is_root_device").asBoolean();
        if (root && config.drives.values().stream().anyMatch(d -> d.root() && !d.id().equals(id))) {
            throw new Fault("A root block device already exists! (drive " + id + " cannot be a second one)");
        }
        Optional<String> partuuid = b.has("partuuid") ? Optional.of(b.get("partuuid").asText()) : Optional.empty();
        config.drives.put(id, new VmConfig.Drive(id, file, root, b.path("is_read_only").asBoolean(false), partuuid, b));
    }

    private void patchDrive(String pathId, JsonNode b) throws Fault {
        requireStarted();
        String id = sameId(pathId, b, "drive_id");
        VmConfig.Drive d = config.drives.get(id);
        if (d == null) {
            throw new Fault("Invalid block device ID: no drive " + id + " was configured before boot");
        }
        if (b.has("path_on_host")) {
            Path file = HostChecks.existingFile("Drive " + id + " path_on_host", b.get("path_on_host").asText());
            ObjectNode updated = ((ObjectNode) d.json().deepCopy()).put("path_on_host", file.toString());
            // the emulated guest keeps its disk: QEMU is not told (banger does not swap disks of a running VM)
            config.drives.put(id, new VmConfig.Drive(id, file, d.root(), d.readOnly(), d.partuuid(), updated));
        }
    }

    private void putNic(String pathId, JsonNode b) throws Fault {
        requireNotStarted();
        String id = sameId(pathId, b, "iface_id");
        String tap = b.get("host_dev_name").asText();
        HostChecks.existingInterface(tap);
        Optional<String> mac = b.has("guest_mac") ? Optional.of(b.get("guest_mac").asText()) : Optional.empty();
        if (mac.isPresent() && !MAC.matcher(mac.get()).matches()) {
            throw new Fault("Invalid guest_mac '" + mac.get() + "': expected six hex byte pairs separated by ':'");
        }
        for (VmConfig.Nic other : config.nics.values()) {
            if (other.id().equals(id)) {
                continue;
            }
            if (other.hostDevName().equals(tap)) {
                throw new Fault("Could not create the network device: the host device " + tap + " is already used by interface " + other.id());
            }
            if (mac.isPresent() && other.guestMac().map(m -> m.equalsIgnoreCase(mac.get())).orElse(false)) {
                throw new Fault("The MAC address " + mac.get() + " is already in use by interface " + other.id());
            }
        }
        config.nics.put(id, new VmConfig.Nic(id, tap, mac, b));
    }

    private void patchNic(String pathId, JsonNode b) throws Fault {
        requireStarted();
        String id = sameId(pathId, b, "iface_id");
        if (!config.nics.containsKey(id)) {
            throw new Fault("Invalid interface ID: no network interface " + id + " was configured before boot");
        }
        // rate limiters only: the emulated guest's NIC has none, so there is nothing to change
    }

    private void putVsock(JsonNode b) throws Fault {
        requireNotStarted();
        Path uds = HostChecks.freeSocketPath(b.get("uds_path").asText());
        VsockProxy bound = VsockProxy.bind(uds);
        if (vsock != null) {
            vsock.close(); // an update replaces the device, and with it the socket
        }
        vsock = bound;
        config.vsock = Optional.of(new VmConfig.Vsock(b.get("guest_cid").asLong(), uds, b));
    }

    private void unimplemented(String method, String path) throws Fault {
        if (started() && contract.preBootOnly(method, path)) {
            throw new Fault(Fault.AFTER_START);
        }
        throw new Fault("The banger Firecracker stub does not implement " + method + " "
                + contract.template(method, path).orElse(path) + " (banger does not use it)");
    }

    private String sameId(String pathId, JsonNode body, String field) throws Fault {
        String bodyId = body.get(field).asText();
        if (!pathId.equals(bodyId)) {
            throw new Fault("The id from the path [" + pathId + "] does not match the id from the body [" + bodyId + "]!");
        }
        if (!ID.matcher(pathId).matches()) {
            throw new Fault("Invalid ID '" + pathId + "': it must be 1 to 64 alphanumeric characters or underscores");
        }
        return pathId;
    }

    private void requireNotStarted() throws Fault {
        if (started()) {
            throw new Fault(Fault.AFTER_START);
        }
    }

    private void requireStarted() throws Fault {
        if (!started()) {
            throw new Fault(Fault.BEFORE_START);
        }
    }

    private static JsonNode require(JsonNode body) throws Fault {
        if (body == null) {
            throw new Fault("An error occurred when deserializing the json body of a request: EOF while parsing a value (the body is empty)");
        }
        return body;
    }

    private JsonNode parse(String body) throws Fault {
        if (body.isEmpty()) {
            return null;
        }
        try {
            return json.readTree(body);
        } catch (JsonProcessingException e) {
            throw new Fault("An error occurred when deserializing the json body of a request: " + e.getOriginalMessage());
        }
    }
}
