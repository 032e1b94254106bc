package dev.banger.core;

import dev.banger.api.BangerException;
import dev.banger.core.vm.VmmKind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * The one place that names every file and socket banger uses. Nothing else builds a state path.
 *
 * <p>With {@code BANGER_HOME=H} everything lives under H, so isolated instances run side by side:
 * <pre>
 *   H/config.toml            optional configuration (TOML)
 *   H/state.db               SQLite database (WAL: state.db-wal, state.db-shm)
 *   H/bangerd.log            log of a daemon the CLI started
 *   H/run/bangerd.sock       the RPC socket (mode 0660, group banger if it exists)
 *   H/run/bangerd.lock       held by the running daemon; holds its PID
 *   H/images/NAME/           guest images (kernel, initramfs, rootfs, manifest.json)
 *   H/ssh/                   banger's SSH client key and known_hosts
 *   H/vms/ID/                one directory per VM, see {@link #vmDir}
 * </pre>
 * Without BANGER_HOME the layout suits a root daemon: state in /var/lib/banger, the socket and lock in
 * /run/banger, the log in /var/log/banger, configuration in /etc/banger/config.toml.
 */
public record StatePaths(Path stateDir, Path runDir, Path logFile, Path configFile) {
    /** sun_path holds 108 bytes including the terminating NUL. */
    public static final int MAX_SOCKET_PATH_BYTES = 107;
    /** Firecracker's guest-initiated vsock listeners are VSockPath + "_PORT"; leave room for that. */
    private static final String LONGEST_VSOCK_SUFFIX = "_65535";

    public static final String HOME_ENV = "BANGER_HOME";

    /**
     * The files of a VM directory found by name (the record stores the paths of the others: its sockets,
     * console log and disks). {@code in(vmDir)} is the file in a VM's recorded directory.
     */
    public enum VmFile {
        /** The VM's pinned SSH host key, as {@code vm ssh} checks it. */
        KNOWN_HOSTS("known_hosts"),
        /** The NoCloud config drive (CIDATA). */
        CONFIG_DRIVE("config.img"),
        /** The VM's SSH host key, made on the host and kept across restarts, and its public half. */
        HOST_KEY("ssh_host_ed25519_key"),
        HOST_KEY_PUB("ssh_host_ed25519_key.pub"),
        /** The guest agent's token (0600). */
        AGENT_TOKEN("agent.token"),
        /** The host end of the guest agent's virtio-serial port (QEMU's chardev socket). */
        AGENT_SOCKET("agent.sock"),
        /** Transient handles (never in SQLite). */
        HANDLES("handles.json"),
        /** The VM's record and its home's identity ({@link VmDescriptor}). */
        DESCRIPTOR(VmDescriptor.FILE),
        /**
         * Present while the VM is being resumed from a snapshot and is not yet a machine of its own (it carries its
         * parent's identity): a daemon that finds it at start-up undoes the restore rather than keep that guest.
         */
        RESTORING("restoring");

        private final String fileName;

        VmFile(String fileName) {
            this.fileName = fileName;
        }

        public String fileName() {
            return fileName;
        }

        public Path in(Path vmDir) {
            return vmDir.resolve(fileName);
        }
    }

    public static StatePaths forHome(Path home) {
        Path h = home.toAbsolutePath().normalize();
        return new StatePaths(h, h.resolve("run"), h.resolve("bangerd.log"), h.resolve("config.toml"));
    }

    public static StatePaths systemDefault() {
        return new StatePaths(Path.of("/var/lib/banger"), Path.of("/run/banger"),
                Path.of("/var/log/banger/bangerd.log"), Path.of("/etc/banger/config.toml"));
    }

    /** BANGER_HOME if set and non-empty, else the system layout. */
    public static StatePaths fromEnvironment(Map<String, String> env) {
        String home = env.get(HOME_ENV);
        return home == null || home.isBlank() ? systemDefault() : forHome(Path.of(home));
    }

    public Path database() {
        return stateDir.resolve("state.db");
    }

    public Path socket() {
        return runDir.resolve("bangerd.sock");
    }

    /** Bound first and renamed onto {@link #socket()} once its mode and group are right. */
    public Path socketStaging() {
        return runDir.resolve("bangerd.sock.new");
    }

    public Path lockFile() {
        return runDir.resolve("bangerd.lock");
    }

    /** The secret sandboxes' envd access tokens are derived from (daemon.e2b; 0600, made on first use, kept). */
    public Path e2bTokenSecret() {
        return stateDir.resolve("e2b-token-secret");
    }

    public Path imagesDir() {
        return stateDir.resolve("images");
    }

    /** A published image: {@code vmlinuz}, {@code vmlinux}, {@code initrd.img}, {@code rootfs.ext4}, {@code manifest.json}, {@code build.log}. */
    public Path imageDir(String name) {
        return imagesDir().resolve(ImageNames.validate(name));
    }

    /**
     * Where an image is built before it is published by renaming onto {@link #imageDir}. The leading dot
     * keeps it out of listings; anything of this shape not being built right now is debris to remove.
     */
    public Path imageBuildDir(String name, String token) {
        return imagesDir().resolve(IMAGE_BUILD_PREFIX + ImageNames.validate(name) + "-" + token);
    }

    public static final String IMAGE_BUILD_PREFIX = ".build-";

    /** Downloaded .debs kept between builds (debootstrap --cache-dir), per suite. */
    public Path packageCache(String suite) {
        return stateDir.resolve("cache").resolve("debootstrap").resolve(suite);
    }

    /** Logs kept after their job ended (e.g. the log of a failed image build). */
    public Path logsDir() {
        return stateDir.resolve("logs");
    }

    public Path sshDir() {
        return stateDir.resolve("ssh");
    }

    public Path vmsDir() {
        return stateDir.resolve("vms");
    }

    /**
     * One VM's directory. Inside it: {@code api.sock} (the VMM's control socket: Firecracker API or QEMU
     * QMP), {@code vsock.sock}, {@code console.log}, {@code metrics.json}, {@code root.qcow2} (QEMU's
     * copy-on-write system overlay) or {@code root.cow}/{@code root.img} (Firecracker's), {@code work.img} (the work disk), {@code config.img} (the config
     * drive), the VM's SSH host key and {@code known_hosts}, {@code qemu.log} (QEMU's own output) or
     * {@code firecracker.log} and {@code firecracker.stderr}, and
     * {@code handles.json} (transient handles, never in SQLite) and {@code vm.json} (the VM's record and its
     * home's identity, see {@link VmDescriptor}).
     */
    public Path vmDir(String vmId) {
        if (!VmIds.looksLikeId(vmId)) {
            throw new IllegalArgumentException("not a VM id: " + vmId);
        }
        return vmsDir().resolve(vmId);
    }

    public Path apiSocket(String vmId) {
        return vmDir(vmId).resolve("api.sock");
    }

    /** The host end of the guest agent's virtio-serial port (QEMU listens; the daemon connects). */
    public Path agentSocket(String vmId) {
        return VmFile.AGENT_SOCKET.in(vmDir(vmId));
    }

    /** Every snapshot's directory lies here, named by its id. */
    public Path snapshotsDir() {
        return stateDir.resolve("snapshots");
    }

    /** A snapshot's files: its saved state, root and work disk (their names are the VMM driver's and the daemon's). */
    public Path snapshotDir(String snapshotId) {
        if (!VmIds.looksLikeId(snapshotId)) {
            throw new IllegalArgumentException("not a snapshot id: " + snapshotId);
        }
        return snapshotsDir().resolve(snapshotId);
    }

    /** Where a restoring QEMU listens for the saved state it is given ({@code -incoming unix:}). */
    public Path incomingSocket(String vmId) {
        return vmDir(vmId).resolve("incoming.sock");
    }

    public Path vsockSocket(String vmId) {
        return vmDir(vmId).resolve("vsock.sock");
    }

    public Path consoleLog(String vmId) {
        return vmDir(vmId).resolve("console.log");
    }

    public Path metrics(String vmId) {
        return vmDir(vmId).resolve("metrics.json");
    }

    public Path systemOverlay(String vmId) {
        return vmDir(vmId).resolve("root.qcow2");
    }

    /**
     * A Firecracker VM's root, which must be a raw block device or file: {@code root.cow} is the sparse
     * copy-on-write store of its dm-snapshot over the image; where device-mapper is missing the root is
     * instead a full (reflinked or sparse) copy of the image, {@link #rootCopy}.
     */
    public Path rootCow(String vmId) {
        return vmDir(vmId).resolve("root.cow");
    }

    public Path rootCopy(String vmId) {
        return vmDir(vmId).resolve("root.img");
    }

    /** The root disk path recorded for a new VM of {@code vmm}: QEMU's qcow2 overlay or Firecracker's COW store. */
    public Path rootDisk(String vmId, VmmKind vmm) {
        return vmm == VmmKind.FIRECRACKER ? rootCow(vmId) : systemOverlay(vmId);
    }

    /** Firecracker's own log (its logger), and its stderr (its stdout is the guest's serial console). */
    public Path firecrackerLog(String vmId) {
        return vmDir(vmId).resolve("firecracker.log");
    }

    public Path firecrackerStderr(String vmId) {
        return vmDir(vmId).resolve("firecracker.stderr");
    }

    public Path workDisk(String vmId) {
        return vmDir(vmId).resolve("work.img");
    }

    /** QEMU's stdout and stderr, appended across starts (each start begins with a "=== banger:" line). */
    public Path vmmLog(String vmId) {
        return vmDir(vmId).resolve("qemu.log");
    }

    /**
     * Where host directory mounts live while their VMs run: {@code RUN/mounts/ID/} (root's, 0711) holds mount N's bind
     * mount {@code N.root} (root's: a bind mount's target must never lie in a directory its user could put a link in)
     * and {@code N/}, where its virtiofsd makes its socket {@code sock} (the mount's user's while virtiofsd starts,
     * root's again once the socket is there, so the socket QEMU connects to cannot be swapped). Under the run
     * directory, not {@code vms/}: virtiofsd runs as the mount's user, who must be able to pass through every directory
     * above (0711), and {@code vms/} is root's alone (0700).
     */
    public Path mountsDir() {
        return runDir.resolve("mounts");
    }

    /** The mounts of VM {@code vmId}, see {@link #mountsDir}. */
    public Path mountsDir(String vmId) {
        if (!VmIds.looksLikeId(vmId)) {
            throw new IllegalArgumentException("not a VM id: " + vmId);
        }
        return mountsDir().resolve(vmId);
    }

    /** The directory of mount {@code index}'s virtiofsd socket. */
    public Path mountDir(String vmId, int index) {
        return mountsDir(vmId).resolve(Integer.toString(index));
    }

    /** The bind mount of the host directory, which virtiofsd serves. */
    public Path mountRoot(String vmId, int index) {
        return mountsDir(vmId).resolve(index + ".root");
    }

    /** Mount {@code index}'s virtiofsd's output, in the VM's directory. */
    public Path virtiofsdLog(String vmId, int index) {
        return vmDir(vmId).resolve("virtiofsd-" + index + ".log");
    }

    /** The vhost-user socket virtiofsd listens on and QEMU connects to. */
    public Path mountSocket(String vmId, int index) {
        return mountDir(vmId, index).resolve("sock");
    }

    public Path handlesFile(String vmId) {
        return VmFile.HANDLES.in(vmDir(vmId));
    }

    /**
     * The VM's own description ({@link VmDescriptor}: its record and the identity of the database that
     * owns it), written atomically at every change, so a lost database can be rebuilt from the VM
     * directories and a directory is never mistaken for another home's.
     */
    public Path vmDescriptor(String vmId) {
        return VmFile.DESCRIPTOR.in(vmDir(vmId));
    }

    /**
     * Fails early, with the fix, when this layout would make any Unix socket path too long for the
     * kernel: better at daemon start than at the first VM boot.
     */
    public void checkSocketPathLengths() {
        String sampleId = "0".repeat(VmIds.LENGTH);
        checkLength(socket(), "");
        checkLength(socketStaging(), "");
        checkLength(apiSocket(sampleId), "");
        checkLength(agentSocket(sampleId), "");
        checkLength(vsockSocket(sampleId), LONGEST_VSOCK_SUFFIX);
        checkLength(incomingSocket(sampleId), "");
        checkLength(snapshotDir(sampleId).resolve("save.sock"), "");
        checkLength(mountSocket(sampleId, 99), "");
    }

    private void checkLength(Path socketPath, String suffix) {
        int bytes = (socketPath + suffix).getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_SOCKET_PATH_BYTES) {
            throw BangerException.invalid("the state directory " + stateDir + " is too deep: socket path "
                    + socketPath + suffix + " would be " + bytes + " bytes, and Unix sockets allow "
                    + MAX_SOCKET_PATH_BYTES + ". Set " + HOME_ENV + " to a shorter path (by "
                    + (bytes - MAX_SOCKET_PATH_BYTES) + " bytes or more).");
        }
    }
}
