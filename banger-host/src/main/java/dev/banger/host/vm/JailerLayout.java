package dev.banger.host.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.Text;
import dev.banger.core.vm.JailerPlan.Placement;
import dev.banger.core.vm.JailerPlan;
import dev.banger.host.HostCommand;
import dev.banger.host.SafeDelete;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Makes and removes the directory a {@link JailerPlan} describes, on the host: the files a jailed
 * Firecracker uses are placed in the jail's root before the jailer runs; the jail is removed after
 * Firecracker exits.
 *
 * <p>{@link #prepare} may run again over its own partial work (a daemon that died half way): correct links
 * and nodes are kept, anything else at a placement's name is replaced. It does not make a used jail
 * reusable: the jailer makes dev/kvm with mknod and fails when it exists, so a VM started again needs
 * {@link #cleanup} first.
 *
 * <p>Once the jailer has run, the jail user owns the root and may have left anything there, symlinks
 * included; so nothing here follows a link inside the jail, and prepare first takes the root back
 * (root:gid, 0750: the jail user can traverse it, not change it).
 */
public final class JailerLayout {
    private static final Duration MKNOD_TIMEOUT = Duration.ofSeconds(10);
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;
    private static final int DIR_MODE = 0750;
    /** Files the jail user owns and writes. */
    private static final int OWNED_FILE_MODE = 0600;
    /** Device nodes the jail user may only read: root keeps ownership, the jail's group reads. */
    private static final int READ_ONLY_NODE_MODE = 0640;

    private JailerLayout() {
    }

    /** Whether {@code p} (followed if a link, like /dev/mapper/NAME) is a block device: a drive to place as a node. */
    public static boolean isBlockDevice(Path p) {
        try {
            return ((int) Files.getAttribute(p, "unix:mode") & S_IFMT) == S_IFBLK;
        } catch (IOException e) {
            return false;
        }
    }

    /** Creates the jail's root and places every file in it, owned as the placements say. */
    public static void prepare(JailerPlan plan, List<Placement> placements) {
        checkFirecrackerBinary(plan);
        Path root = plan.rootDir();
        try {
            Files.createDirectories(plan.chrootBaseDir());
            directory(plan.chrootDir().getParent());
            directory(plan.chrootDir());
            directory(root);
            checkNotRedirected(plan);
            // The jailer gives "/" to uid:gid; take it back so nothing in it changes under us while we work.
            setOwner(root, 0, plan.gid());
            Files.setAttribute(root, "unix:mode", DIR_MODE, LinkOption.NOFOLLOW_LINKS);
            for (Placement p : placements) {
                place(plan, p);
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot prepare the jail " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * Places more files in the jail of a Firecracker that runs (a snapshot's, {@link JailerPlan#snapshotPlacements}).
     * Unlike {@link #prepare}, the root is left as the jailer made it: Firecracker, as the jail user, makes its vsock
     * listeners' sockets there.
     */
    public static void addToRunningJail(JailerPlan plan, List<Placement> placements) {
        try {
            checkNotRedirected(plan);
            for (Placement p : placements) {
                place(plan, p);
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot place files in the jail " + plan.rootDir() + ": " + e.getMessage(), e);
        }
    }

    /** Removes the jail's names of {@code placements} (the links, never what a link there points to); absent ones are fine. */
    public static void removeFromJail(JailerPlan plan, List<Placement> placements) {
        for (Placement p : placements) {
            try {
                Files.deleteIfExists(plan.hostPathOf(p.insidePath()));
            } catch (IOException e) {
                throw new BangerException(ErrorCode.HOST_FAILURE, "cannot remove " + p.insidePath() + " from the jail "
                        + plan.rootDir() + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * A file the jail user wrote through a link (a snapshot's), taken back once its name is out of the jail: owned by
     * root, mode 0600. Left to the jail user, its owner could chmod it and write it again whenever it got hold of it.
     */
    public static void takeBack(Path file) {
        try {
            setOwner(file, 0, 0);
            Files.setAttribute(file, "unix:mode", 0600, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot take " + file + " back from the jail user: " + e.getMessage(), e);
        }
    }

    /**
     * Removes the VM's whole jail (chroot base/firecracker name/id), never following a link out of it, and
     * nothing when it is absent. A jail path that is a symlink, or that resolves somewhere else, was not made
     * by banger: it is refused and left alone.
     */
    public static void cleanup(JailerPlan plan) {
        Path chroot = plan.chrootDir();
        if (!Files.exists(chroot, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(chroot, LinkOption.NOFOLLOW_LINKS)) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, chroot + " is not a directory (" + describeLink(chroot)
                    + "); banger did not make it and leaves it alone: check it and remove it by hand");
        }
        try {
            checkNotRedirected(plan);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot resolve " + chroot + ": " + e.getMessage(), e);
        }
        SafeDelete.tree(chroot);
    }

    private static void place(JailerPlan plan, Placement p) throws IOException {
        Path target = plan.hostPathOf(p.insidePath());
        if (!plan.rootDir().equals(target.getParent())) {
            throw BangerException.invalid("jail path " + Text.printable(p.insidePath(), 80) + " is not directly in the jail's root");
        }
        switch (p.kind()) {
            case HARD_LINK -> {
                Path source = regularFile(p.hostSource());
                if (p.ownedByJailUser()) {
                    giveToJailUser(source, plan);
                } else {
                    letJailRead(source, plan);
                }
                hardLink(target, source);
            }
            case CREATE_EMPTY -> {
                Path source = emptied(p.hostSource());
                giveToJailUser(source, plan);
                hardLink(target, source);
            }
            case DEVICE_NODE -> deviceNode(target, p.hostSource(), p.ownedByJailUser(), plan);
        }
    }

    /** The jailer names the chroot after the resolved binary's file name; {@link JailerPlan#chrootDir} uses the given one. */
    private static void checkFirecrackerBinary(JailerPlan plan) {
        Path fc = plan.firecrackerBinary();
        if (!Files.isRegularFile(fc)) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "the Firecracker binary " + fc + " is not a file: install "
                    + "Firecracker or set vmm.firecracker to its path");
        }
        try {
            Path real = fc.toRealPath();
            if (!real.getFileName().equals(fc.getFileName())) {
                throw BangerException.invalid("the Firecracker binary " + fc + " is a link to " + real + "; the jailer would "
                        + "make its jail under " + real.getFileName() + ", not " + fc.getFileName() + ": give " + real);
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot resolve " + fc + ": " + e.getMessage(), e);
        }
    }

    /** A directory of the jail's path, made 0750 if absent; a symlink or a file there is refused. */
    private static void directory(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(dir);
                Files.setAttribute(dir, "unix:mode", DIR_MODE, LinkOption.NOFOLLOW_LINKS);
            } catch (FileAlreadyExistsException raced) {
                // another prepare made it (two VMs share base/firecracker); checked below like any existing one
            }
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, dir + " is not a directory (" + describeLink(dir)
                    + "); banger did not make it: check it and remove it by hand");
        }
    }

    /** The jail, resolved, must be base/name/id: no link on the way may send it elsewhere. */
    private static void checkNotRedirected(JailerPlan plan) throws IOException {
        Path chroot = plan.chrootDir();
        Path expected = plan.chrootBaseDir().toRealPath().resolve(chroot.getParent().getFileName()).resolve(plan.id());
        Path real = chroot.toRealPath();
        if (!real.equals(expected)) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, chroot + " resolves to " + real + ", outside the chroot "
                    + "base; banger did not make that link and leaves it alone: check it and remove it by hand");
        }
    }

    /** The real path of a host file to hard-link: links are resolved (a link itself would dangle in the jail). */
    private static Path regularFile(Path source) throws IOException {
        Path real;
        try {
            real = source.toRealPath();
        } catch (NoSuchFileException e) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, source + " does not exist, so it cannot go into the jail");
        }
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw BangerException.invalid(source + " is not a regular file" + (isBlockDevice(real)
                    ? " but a block device: mark the drive as a block device so it is placed as a device node" : ""));
        }
        return real;
    }

    /** A file Firecracker writes from offset 0 (see {@link JailerPlan.Kind#CREATE_EMPTY}), created or emptied. */
    private static Path emptied(Path source) throws IOException {
        try (FileChannel ignored = FileChannel.open(source, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS)) {
            return source;
        } catch (FileSystemException e) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "cannot create " + source + " empty: " + e.getMessage()
                    + " (it must be a plain file, not a link)", e);
        }
    }

    /** The jail user writes it: owner uid:gid, owner read and write. */
    private static void giveToJailUser(Path file, JailerPlan plan) throws IOException {
        setOwner(file, plan.uid(), plan.gid());
        int mode = (int) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
        if ((mode & OWNED_FILE_MODE) != OWNED_FILE_MODE) {
            Files.setAttribute(file, "unix:mode", mode | OWNED_FILE_MODE, LinkOption.NOFOLLOW_LINKS);
        }
    }

    /**
     * The jail user reads it and cannot write it. The link is the same inode, so this changes the host file,
     * as little as it can: a file the jail user owned goes back to root (an owner can chmod, so ownership is
     * write access); write bits the jail user could use (other, or its group) go; one it cannot read (a 0600
     * config drive) gets the jail's group with group read. A world-readable image stays as it is.
     */
    private static void letJailRead(Path file, JailerPlan plan) throws IOException {
        Map<String, Object> a = Files.readAttributes(file, "unix:uid,gid,mode", LinkOption.NOFOLLOW_LINKS);
        int mode = (int) a.get("mode") & 07777;
        boolean jailGroup = (int) a.get("gid") == plan.gid();
        if ((int) a.get("uid") == plan.uid()) {
            Files.setAttribute(file, "unix:uid", 0, LinkOption.NOFOLLOW_LINKS);
        }
        int wanted = mode & ~0002 & (jailGroup ? ~0020 : ~0);
        if ((wanted & 0004) == 0 && !(jailGroup && (wanted & 0040) != 0)) {
            Files.setAttribute(file, "unix:gid", plan.gid(), LinkOption.NOFOLLOW_LINKS);
            wanted = (wanted | 0040) & ~0020;
        }
        if (wanted != mode) {
            Files.setAttribute(file, "unix:mode", wanted, LinkOption.NOFOLLOW_LINKS);
        }
    }

    /** {@code target} as a hard link to {@code source}; an existing link to the same inode is kept. */
    private static void hardLink(Path target, Path source) throws IOException {
        Object sourceDevice = Files.getAttribute(source, "unix:dev", LinkOption.NOFOLLOW_LINKS);
        Object jailDevice = Files.getAttribute(target.getParent(), "unix:dev", LinkOption.NOFOLLOW_LINKS);
        if (!sourceDevice.equals(jailDevice)) {
            throw crossDevice(source, target);
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (sameInode(target, source)) {
                return;
            }
            remove(target);
        }
        try {
            Files.createLink(target, source);
        } catch (FileSystemException e) {
            if (e.getReason() != null && e.getReason().contains("cross-device")) {
                throw crossDevice(source, target);
            }
            throw e;
        }
    }

    private static BangerException crossDevice(Path source, Path target) {
        return new BangerException(ErrorCode.FAILED_PRECONDITION, "cannot hard-link " + source + " into the jail at " + target
                + ": they are on different filesystems, and a hard link cannot cross filesystems (copying drives would cost "
                + "their size and split their contents). Set jailer.chroot_base to a directory on the filesystem that holds "
                + "banger's state directory (images and VM disks), or move the state there");
    }

    /** A block-device node with the host device's numbers, owned and moded for the jail user. */
    private static void deviceNode(Path target, Path device, boolean owned, JailerPlan plan) throws IOException {
        if (!isBlockDevice(device)) {
            throw BangerException.invalid(device + " is not a block device, so it cannot be placed as a device node");
        }
        long rdev = (long) Files.getAttribute(device, "unix:rdev");
        boolean current = Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(target)
                && isBlockDevice(target) && rdev == (long) Files.getAttribute(target, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
        int mode = owned ? OWNED_FILE_MODE : READ_ONLY_NODE_MODE;
        if (!current) {
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                remove(target);
            }
            HostCommand.Output out = HostCommand.run(mknod(target, mode, major(rdev), minor(rdev)), MKNOD_TIMEOUT);
            if (!out.ok()) {
                throw new BangerException(ErrorCode.HOST_FAILURE, "mknod " + target + " failed: " + Text.printable(out.text().strip(), 400));
            }
        }
        setOwner(target, owned ? plan.uid() : 0, plan.gid());
        Files.setAttribute(target, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }

    static List<String> mknod(Path node, int mode, long major, long minor) {
        return List.of("mknod", "-m", String.format("%04o", mode), "--", node.toString(), "b", Long.toString(major), Long.toString(minor));
    }

    /** Linux's dev_t encoding (glibc's gnu_dev_major/minor): 12 bits of major and 20 of minor, split. */
    static long major(long rdev) {
        return ((rdev >>> 8) & 0xfffL) | ((rdev >>> 32) & 0xffff_f000L);
    }

    static long minor(long rdev) {
        return (rdev & 0xffL) | ((rdev >>> 12) & 0xffff_ff00L);
    }

    private static boolean sameInode(Path a, Path b) throws IOException {
        Map<String, Object> x = Files.readAttributes(a, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
        Map<String, Object> y = Files.readAttributes(b, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
        return x.equals(y);
    }

    /** Whatever stands at a placement's name; the link itself, never what it points to. */
    private static void remove(Path target) throws IOException {
        try {
            Files.deleteIfExists(target);
        } catch (DirectoryNotEmptyException e) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, target + " is a directory left by an earlier run: "
                    + "remove the jail (stop or delete the VM) and start it again");
        }
    }

    private static void setOwner(Path p, int uid, int gid) throws IOException {
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }

    private static String describeLink(Path p) {
        try {
            return Files.isSymbolicLink(p) ? "a symlink to " + Text.printable(Files.readSymbolicLink(p).toString(), 200) : "a file";
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        }
    }
}
