package dev.banger.host.disk;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.host.HostCommand;
import dev.banger.host.vm.HandlesPart;
import dev.banger.host.vm.VmHandles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * A Firecracker VM's raw root drive. Where device-mapper works: {@link DmSnapshot} (loops over the base
 * image and a sparse COW file, a snapshot target named after the VM), so a VM costs only what it
 * changes. Where it does not (no /dev/mapper/control, as in many containers and on this project's CI
 * machines): a full copy of the image, reflinked where the filesystem can (btrfs, XFS: instant, shared
 * blocks) or else sparse (time and space for every used block of the image). The copy is announced with
 * a warning saying what it costs, never silently. A VM keeps the kind of root it got first: a copy stays
 * a copy even if device-mapper appears later.
 */
public final class RawCow {
    private static final Logger LOG = Logger.getLogger(RawCow.class.getName());
    private static final Path DM_CONTROL = Path.of("/dev/mapper/control");
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    /** The drive to give Firecracker, and a warning for the user when it is a full copy made just now. */
    public record Root(Path drive, Optional<String> warning) {
    }

    /**
     * The devices of a snapshot root, as attached so far (each null until it is): loops over the base image
     * and the COW file, the dm-snapshot target and its device node. Kept in the VM's handles as the part
     * {@link #DEVICES}, since teardown acts on them after a crash.
     */
    public record RootDevices(String baseLoop, String cowLoop, String dmName, String dmDevice) {
        static final RootDevices NONE = new RootDevices(null, null, null, null);

        @com.fasterxml.jackson.annotation.JsonIgnore
        public boolean isEmpty() {
            return equals(NONE);
        }
    }

    private static final java.util.regex.Pattern LOOP = java.util.regex.Pattern.compile("/dev/loop[0-9]{1,6}");
    private static final java.util.regex.Pattern DM_DEVICE = java.util.regex.Pattern.compile("/dev/(mapper/[a-z0-9-]{1,64}|dm-[0-9]{1,6})");

    /** The handles part of a snapshot root: loops only /dev/loopN, the dm name banger's own for the VM. */
    public static final HandlesPart<RootDevices> DEVICES = new HandlesPart<>() {
        @Override
        public String key() {
            return "root";
        }

        @Override
        public Class<RootDevices> type() {
            return RootDevices.class;
        }

        @Override
        public void check(RootDevices d, String vmId) {
            for (String loop : new String[] {d.baseLoop(), d.cowLoop()}) {
                if (loop != null && !LOOP.matcher(loop).matches()) {
                    throw new IllegalArgumentException("'" + dev.banger.core.Text.printable(loop, 30) + "' is not a loop device");
                }
            }
            if (d.dmName() != null && !d.dmName().equals(DmSnapshot.nameFor(vmId))) {
                throw new IllegalArgumentException("dm name '" + dev.banger.core.Text.printable(d.dmName(), 40) + "' is not this VM's");
            }
            if (d.dmDevice() != null && !DM_DEVICE.matcher(d.dmDevice()).matches()) {
                throw new IllegalArgumentException("'" + dev.banger.core.Text.printable(d.dmDevice(), 40) + "' is not a device-mapper device");
            }
        }
    };

    private RawCow() {
    }

    /** Whether device-mapper can be used: its control node exists and dmsetup answers. */
    public static boolean deviceMapperUsable() {
        try {
            return Files.exists(DM_CONTROL) && HostCommand.run(List.of("dmsetup", "version"), Duration.ofSeconds(10)).ok();
        } catch (BangerException e) {
            return false; // dmsetup is not installed
        }
    }

    /**
     * Makes (or finds) the VM's root. {@code record} is called with the handles after each device is
     * attached, before the next, so a crash in between leaves the daemon the names to tear down.
     */
    public static Root prepare(String vmId, Path base, Path cowFile, Path copyFile, long sizeMib, boolean deviceMapper,
                               VmHandles handles, Consumer<VmHandles> record) {
        if (Files.exists(copyFile)) {
            return new Root(copyFile, Optional.empty());
        }
        if (deviceMapper) {
            Path device = snapshot(vmId, base, cowFile, handles, record);
            long baseMib = base.toFile().length() / (1024 * 1024);
            return new Root(device, sizeMib > baseMib ? Optional.of("the root disk stays " + baseMib + " MiB, the image's size: "
                    + "a dm-snapshot cannot be larger than its origin, so the requested " + sizeMib + " MiB is not applied")
                    : Optional.empty());
        }
        return new Root(copyFile, Optional.of(copy(base, copyFile, sizeMib)));
    }

    /**
     * What the guest of VM {@code vmId} writes its root to now: the full copy when there is one (a VM keeps the kind
     * it got first), else its dm-snapshot's device; derived from the VM's id and files, never from what the VMM
     * reports. For a consistent copy of a paused guest's root.
     */
    public static Path currentDrive(String vmId, Path copyFile) {
        if (Files.isRegularFile(copyFile, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return copyFile;
        }
        Path device = Path.of(DmSnapshot.devicePath(DmSnapshot.nameFor(vmId)));
        if (Files.exists(device)) {
            return device;
        }
        throw new BangerException(ErrorCode.FAILED_PRECONDITION, "VM " + vmId + " has no root to copy: neither " + copyFile
                + " nor " + device + " exists (is it running?)");
    }

    private static Path snapshot(String vmId, Path base, Path cowFile, VmHandles handles, Consumer<VmHandles> record) {
        String name = DmSnapshot.nameFor(vmId);
        String baseLoop = null;
        String cowLoop = null;
        try {
            long baseBytes = Files.size(base);
            if (!Files.exists(cowFile)) {
                // Sparse, as large as the base: the most a snapshot can ever store (every chunk rewritten).
                try (var f = new java.io.RandomAccessFile(cowFile.toFile(), "rw")) {
                    f.setLength(baseBytes);
                }
            }
            baseLoop = run(DmSnapshot.attachBaseLoop(base), "attach the base image to a loop device").strip();
            record.accept(handles.with(DEVICES, new RootDevices(baseLoop, null, null, null)));
            cowLoop = run(DmSnapshot.attachCowLoop(cowFile), "attach the COW file to a loop device").strip();
            record.accept(handles.with(DEVICES, new RootDevices(baseLoop, cowLoop, null, null)));
            run(DmSnapshot.create(name, DmSnapshot.table(baseBytes, baseLoop, cowLoop)), "create the dm-snapshot " + name);
            String device = DmSnapshot.devicePath(name);
            record.accept(handles.with(DEVICES, new RootDevices(baseLoop, cowLoop, name, device)));
            return Path.of(device);
        } catch (IOException | RuntimeException e) {
            release(new RootDevices(baseLoop, cowLoop, null, null));
            throw e instanceof BangerException b ? b
                    : new BangerException(ErrorCode.HOST_FAILURE, "cannot make the copy-on-write root: " + e.getMessage(), e);
        }
    }

    /**
     * Tears down what VM {@code vmId}'s handles say its snapshot root attached; a part that is not what
     * banger would have written is logged and left alone, never obeyed.
     */
    public static void release(String vmId, VmHandles handles) {
        try {
            handles.part(DEVICES, vmId).filter(d -> !d.isEmpty()).ifPresent(RawCow::release);
        } catch (IllegalArgumentException e) {
            LOG.warning("VM " + vmId + ": its handles name root devices banger would not have attached (" + e.getMessage()
                    + "): left alone");
        }
    }

    /** Tears down a snapshot root in order (dm, COW loop, base loop); pieces already gone are skipped. */
    static void release(RootDevices h) {
        if (h.dmName() != null && !Files.exists(Path.of(DmSnapshot.devicePath(h.dmName())))) {
            h = new RootDevices(h.baseLoop(), h.cowLoop(), null, null);
        }
        for (List<String> argv : DmSnapshot.teardown(h.dmName(), h.cowLoop(), h.baseLoop())) {
            HostCommand.Output out = HostCommand.run(argv, TIMEOUT);
            if (!out.ok()) {
                // A loop already detached says so; anything else is logged, and the next delete tries again.
                LOG.warning(String.join(" ", argv) + ": " + out.text().strip());
            }
        }
    }

    /** A reflink copy, else a sparse one; returns the warning that says which and what it cost. */
    private static String copy(Path base, Path copyFile, long sizeMib) {
        Path tmp = copyFile.resolveSibling(copyFile.getFileName() + ".partial");
        long started = System.nanoTime();
        try {
            Files.deleteIfExists(tmp);
            boolean reflinked = HostCommand.run(List.of("cp", "--reflink=always", "--", base.toString(), tmp.toString()), TIMEOUT).ok();
            if (!reflinked) {
                Files.deleteIfExists(tmp);
                run(List.of("cp", "--sparse=always", "--", base.toString(), tmp.toString()), "copy the image for the root drive");
            }
            long sizeBytes = sizeMib * 1024 * 1024;
            if (sizeBytes > Files.size(tmp)) {
                try (var f = new java.io.RandomAccessFile(tmp.toFile(), "rw")) {
                    f.setLength(sizeBytes); // grows the disk, sparse; the guest's filesystem is not resized
                }
            }
            Files.move(tmp, copyFile, StandardCopyOption.ATOMIC_MOVE);
            long ms = (System.nanoTime() - started) / 1_000_000;
            long imageMib = Files.size(base) / (1024 * 1024);
            return "device-mapper is not available on this host (no usable /dev/mapper/control), so this Firecracker VM's "
                    + "root is a full copy of the " + imageMib + " MiB image instead of a copy-on-write snapshot: "
                    + (reflinked ? "a reflink copy (shared blocks, no extra space until written; took " + ms + " ms)"
                    : "a sparse copy (every used block of the image written again; took " + ms + " ms and that much disk per VM)")
                    + ". Load dm_snapshot (modprobe dm_snapshot) to get copy-on-write roots.";
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot copy the image for the root drive: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                LOG.warning("cannot remove " + tmp + ": " + e.getMessage());
            }
        }
    }

    private static String run(List<String> argv, String what) {
        HostCommand.Output out = HostCommand.run(argv, TIMEOUT);
        if (!out.ok()) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot " + what + ": " + argv.getFirst() + " says: " + out.text().strip()
                    + (out.text().contains("No space left") ? " (the disk is full)" : ""));
        }
        return out.text();
    }
}
