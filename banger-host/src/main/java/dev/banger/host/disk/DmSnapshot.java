package dev.banger.host.disk;

import dev.banger.api.BangerException;
import dev.banger.core.VmIds;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Copy-on-write for raw drives, the original banger's way (for the Firecracker driver, whose drives are
 * raw files or block devices): a read-only loop device over the shared base image, a loop device over a
 * sparse per-VM COW file, and a device-mapper snapshot target over the two, named after the VM; the
 * VM's root drive is /dev/mapper/NAME. Pure functions (here in host only because they name /dev paths):
 * the argv and the dm table; the Firecracker driver runs them.
 *
 * <pre>
 * losetup --find --show --read-only -- BASE          -> /dev/loopA
 * losetup --find --show -- COW                        -> /dev/loopB
 * dmsetup create banger-ID --table "0 SECTORS snapshot /dev/loopA /dev/loopB P 8"
 * teardown, in this order: dmsetup remove --retry banger-ID; losetup --detach /dev/loopB; losetup --detach /dev/loopA
 * </pre>
 * {@code P 8}: a persistent snapshot (the COW file keeps its metadata, so a VM restarted after a host
 * reboot finds its changes) with 8-sector (4 KiB) chunks.
 */
public final class DmSnapshot {
    public static final int SECTOR_BYTES = 512;
    public static final int CHUNK_SECTORS = 8;
    private static final Pattern LOOP = Pattern.compile("/dev/loop[0-9]{1,6}");

    private DmSnapshot() {
    }

    /** The snapshot target's name for a VM: one per VM, recognisable in {@code dmsetup ls}. */
    public static String nameFor(String vmId) {
        if (!VmIds.looksLikeId(vmId)) {
            throw new IllegalArgumentException("not a VM id: " + vmId);
        }
        return "banger-" + vmId;
    }

    public static String devicePath(String name) {
        return "/dev/mapper/" + name;
    }

    public static List<String> attachBaseLoop(Path base) {
        return List.of("losetup", "--find", "--show", "--read-only", "--", absolute(base).toString());
    }

    public static List<String> attachCowLoop(Path cow) {
        return List.of("losetup", "--find", "--show", "--", absolute(cow).toString());
    }

    /** The dm table line for a snapshot of a base of {@code baseBytes} (a whole number of sectors). */
    public static String table(long baseBytes, String baseLoop, String cowLoop) {
        if (baseBytes <= 0 || baseBytes % SECTOR_BYTES != 0) {
            throw BangerException.invalid("the base image is " + baseBytes + " bytes, not a whole number of 512-byte sectors");
        }
        return "0 " + baseBytes / SECTOR_BYTES + " snapshot " + loop(baseLoop) + " " + loop(cowLoop) + " P " + CHUNK_SECTORS;
    }

    public static List<String> create(String name, String table) {
        return List.of("dmsetup", "create", name, "--table", table);
    }

    public static List<String> remove(String name) {
        return List.of("dmsetup", "remove", "--retry", name);
    }

    public static List<String> detachLoop(String loop) {
        return List.of("losetup", "--detach", loop(loop));
    }

    /**
     * The commands that take a VM's copy-on-write stack down, in the only safe order: the dm target first
     * (it holds both loops), then the COW loop, then the base loop. Pieces that are absent (null) are
     * skipped, so a teardown after a partial set-up, or a second one, asks for nothing that is not there.
     */
    public static List<List<String>> teardown(String dmName, String cowLoop, String baseLoop) {
        List<List<String>> out = new ArrayList<>();
        if (dmName != null) {
            out.add(remove(dmName));
        }
        if (cowLoop != null) {
            out.add(detachLoop(cowLoop));
        }
        if (baseLoop != null) {
            out.add(detachLoop(baseLoop));
        }
        return out;
    }

    private static String loop(String device) {
        if (device == null || !LOOP.matcher(device).matches()) {
            throw BangerException.invalid("'" + dev.banger.core.Text.printable(device, 40) + "' is not a loop device (/dev/loopN)");
        }
        return device;
    }

    private static Path absolute(Path p) {
        if (!p.isAbsolute()) {
            throw BangerException.invalid(p + " must be an absolute path");
        }
        return p.normalize();
    }
}
