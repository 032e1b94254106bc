package dev.banger.daemon.mount;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.HostMount;
import dev.banger.api.VmRecord;
import dev.banger.core.StatePaths;
import dev.banger.core.VmIds;
import dev.banger.core.mount.MountRules;
import dev.banger.core.mount.Share;
import dev.banger.core.mount.VirtiofsdCommand;
import dev.banger.daemon.vm.Shares;
import dev.banger.host.mount.BindMounts;
import dev.banger.host.mount.HostDirectory;
import dev.banger.host.mount.MountHandles;
import dev.banger.host.mount.Virtiofsd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * A VM's mounts while it runs: at start, for each, a bind mount of the checked directory (read-only for {@code :ro})
 * and a virtiofsd serving it as the mount's user; at stop, delete and reconcile, both gone. Everything lies at paths
 * {@link StatePaths} derives from the VM's id, so a release needs no record of what was made: it finds the processes
 * by their sockets' paths and the bind mounts in the mount table (the {@link MountHandles} part says the same for
 * whoever reads handles.json). A virtiofsd exits by itself when its QEMU goes.
 */
public final class MountRuntime implements Shares.Runtime {
    private static final Logger LOG = Logger.getLogger(MountRuntime.class.getName());
    private static final Duration LISTEN_TIMEOUT = Duration.ofSeconds(20);
    private static final Set<PosixFilePermission> PASS_THROUGH = PosixFilePermissions.fromString("rwx--x--x");

    private final StatePaths paths;
    private final Optional<VirtiofsdCommand.Binary> binary;

    public MountRuntime(StatePaths paths, Optional<VirtiofsdCommand.Binary> binary) {
        this.paths = paths;
        this.binary = binary;
    }

    /** The host's virtiofsd (doctor and the QEMU driver say which). */
    public Optional<VirtiofsdCommand.Binary> binary() {
        return binary;
    }

    /**
     * Makes {@code vm}'s mounts ready for its VMM and returns what to give it. Each piece is passed to {@code record} as
     * it appears. A failure undoes every piece (nothing mounted, no virtiofsd) and says why.
     */
    @Override
    public List<Share> attach(VmRecord vm, Consumer<MountHandles.Mounts> record) {
        if (vm.mounts().isEmpty()) {
            return List.of();
        }
        VirtiofsdCommand.Binary server = binary.orElseThrow(() -> new BangerException(ErrorCode.UNSUPPORTED, "VM " + vm.name()
                + " has host directory mounts and this host has no virtiofsd: install Debian's qemu-system-common (or virtiofsd)"));
        try {
            release(vm.id()); // what a daemon killed mid-start may have left
            prepareParents(vm.id());
            List<MountHandles.Entry> entries = new ArrayList<>();
            List<Share> shares = new ArrayList<>();
            for (int i = 0; i < vm.mounts().size(); i++) {
                HostMount m = vm.mounts().get(i);
                Path root = paths.mountRoot(vm.id(), i);
                Path socket = paths.mountSocket(vm.id(), i);
                Optional<Path> pidFile = VirtiofsdCommand.pidFile(server.flavor(), socket);
                HostDirectory dir = checked(m);
                createRootDirectory(root);
                BindMounts.bind(dir, root, m.readOnly());
                entries.add(new MountHandles.Entry(i, root.toString(), socket.toString(), pidFile.map(Path::toString).orElse(null), 0));
                record.accept(new MountHandles.Mounts(entries));
                MountRules.Identity id = new MountRules.Identity(m.uid(), m.gid());
                Path socketDir = paths.mountDir(vm.id(), i);
                createDirectory(socketDir, m.uid(), m.gid(), PosixFilePermissions.fromString("rwx------"));
                pidFile.ifPresent(p -> Virtiofsd.preparePidFile(p, m.uid(), m.gid()));
                long pid = Virtiofsd.launch(VirtiofsdCommand.argv(server, id, socket, root, m.readOnly()), socket,
                        paths.virtiofsdLog(vm.id(), i), LISTEN_TIMEOUT);
                // The user's directory while virtiofsd made its socket; root's from now on, so the socket QEMU connects to stays that one.
                createDirectory(socketDir, 0, 0, PASS_THROUGH);
                if (!Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
                    throw new BangerException(ErrorCode.HOST_FAILURE, socket + " is not virtiofsd's socket");
                }
                entries.set(i, new MountHandles.Entry(i, root.toString(), socket.toString(), pidFile.map(Path::toString).orElse(null), pid));
                record.accept(new MountHandles.Mounts(entries));
                shares.add(new Share(MountRules.tag(i), socket));
                LOG.info("VM " + vm.name() + ": " + m.spec() + " shared as " + MountRules.tag(i) + " by virtiofsd pid " + pid + " as uid " + m.uid());
            }
            return List.copyOf(shares);
        } catch (IOException | RuntimeException e) {
            release(vm.id());
            throw e instanceof BangerException be ? be
                    : new BangerException(ErrorCode.HOST_FAILURE, "cannot share VM " + vm.name() + "'s directories: " + e.getMessage(), e);
        }
    }

    /** The recorded directory, resolved again now: a link put in its path since the create is refused. */
    private static HostDirectory checked(HostMount m) {
        HostDirectory dir = HostDirectory.resolve(m.hostDir());
        if (!dir.path().toString().equals(m.hostDir())) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "--mount " + m.spec() + ": " + m.hostDir() + " now leads to "
                    + dir.path() + " (a symbolic link was put in its path): not mounted; recreate the VM to mount that directory");
        }
        return dir;
    }

    /**
     * Stops and removes whatever mounts of VM {@code vmId} exist: its virtiofsd processes (by their sockets' paths), its
     * bind mounts, their lock files, sockets and directories. Idempotent; failures are logged, a release goes on.
     */
    @Override
    public void release(String vmId) {
        Path dir = paths.mountsDir(vmId);
        for (long pid : Virtiofsd.killUnder(dir)) {
            LOG.info("VM " + vmId + ": virtiofsd pid " + pid + " stopped");
        }
        for (Path mounted : BindMounts.under(dir)) {
            BindMounts.unmount(mounted);
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path e : entries.toList()) {
                String name = e.getFileName().toString();
                if (name.matches("[0-9]{1,2}") && Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS)) {
                    Path socket = e.resolve("sock");
                    VirtiofsdCommand.pidFile(VirtiofsdCommand.Flavor.QEMU, socket).ifPresent(MountRuntime::deleteQuietly);
                    emptyDirectory(e);
                }
                deleteQuietly(e);
            }
        } catch (IOException e) {
            LOG.warning("VM " + vmId + ": cannot list " + dir + ": " + e.getMessage());
        }
        deleteQuietly(dir);
    }

    /**
     * Reconcile: the virtiofsd processes, bind mounts and directories of VMs not in {@code running} (a VM deleted or
     * stopped while no daemon ran, or a daemon killed mid-start) are removed. A summary, or "" when there was none.
     */
    @Override
    public String sweep(Set<String> running) {
        Path root = paths.mountsDir();
        Set<String> ids = new TreeSet<>();
        Virtiofsd.findUnder(root).values().forEach(s -> vmIdOf(root, s).ifPresent(ids::add));
        BindMounts.under(root).forEach(m -> vmIdOf(root, m).ifPresent(ids::add));
        if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> s = Files.list(root)) {
                s.map(p -> p.getFileName().toString()).filter(VmIds::looksLikeId).forEach(ids::add);
            } catch (IOException e) {
                LOG.warning("cannot list " + root + ": " + e.getMessage());
            }
        }
        ids.removeAll(running);
        ids.forEach(this::release);
        return ids.isEmpty() ? "" : "mounts of " + ids.size() + " VM(s) not running released";
    }

    private static Optional<String> vmIdOf(Path root, Path p) {
        if (!p.startsWith(root) || p.getNameCount() <= root.getNameCount()) {
            return Optional.empty();
        }
        String id = p.getName(root.getNameCount()).toString();
        return VmIds.looksLikeId(id) ? Optional.of(id) : Optional.empty();
    }

    /**
     * {@code RUN/mounts/ID}, root's and 0711, like {@code RUN/mounts}; the run directory gets o+x (it is banger's), and
     * every directory above must already let others pass: virtiofsd, running as the mount's user, walks through them.
     */
    private void prepareParents(String vmId) throws IOException {
        Path run = paths.runDir();
        Set<PosixFilePermission> runPerms = Files.getPosixFilePermissions(run, LinkOption.NOFOLLOW_LINKS);
        if (!runPerms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
            runPerms.add(PosixFilePermission.OTHERS_EXECUTE);
            Files.setPosixFilePermissions(run, runPerms);
        }
        for (Path p = run.getParent(); p != null; p = p.getParent()) {
            if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, "virtiofsd runs as the mount's user and must pass through " + p
                        + ", which others may not enter: chmod o+x " + p + " (or use a BANGER_HOME others may pass through)");
            }
        }
        createDirectory(paths.mountsDir(), 0, 0, PASS_THROUGH);
        createDirectory(paths.mountsDir(vmId), 0, 0, PASS_THROUGH);
    }

    /** A bind mount's target: a fresh, empty directory of root's. */
    private static void createRootDirectory(Path root) throws IOException {
        createDirectory(root, 0, 0, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** {@code dir}, a real directory (made if missing; never a link), with that owner and mode. */
    private static void createDirectory(Path dir, int uid, int gid, Set<PosixFilePermission> mode) throws IOException {
        if (Files.isSymbolicLink(dir) || (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS))) {
            throw new BangerException(ErrorCode.HOST_FAILURE, dir + " is not a directory of banger's: remove it");
        }
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(dir);
        }
        Files.setAttribute(dir, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(dir, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(dir, mode);
    }

    /** Removes the entries of a socket directory (links removed, never followed); a subdirectory is left and logged. */
    private static void emptyDirectory(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(MountRuntime::deleteQuietly);
        } catch (IOException e) {
            LOG.warning("cannot list " + dir + ": " + e.getMessage());
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warning("cannot remove " + p + ": " + e.getMessage());
        }
    }
}
