package dev.banger.core.snapshot;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.ImageManifest;
import dev.banger.api.VmSpec;
import dev.banger.core.VmIds;
import dev.banger.core.VmNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Pure decisions about snapshots: their names, the key a template is found by, what a snapshot or a fork needs
 * of the disk before it is taken, and fork children's names.
 */
public final class SnapshotRules {
    /** vm fork makes at most this many children at once: each is a VM with its own memory. */
    public static final int MAX_FORK_COUNT = 16;
    /** Left free on the state filesystem after a snapshot or fork (SQLite, logs and the VMs' own writes need room). */
    public static final long FREE_SPACE_RESERVE_BYTES = 256L << 20;
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private SnapshotRules() {
    }

    /** A snapshot's name follows the VM names' rule (a DNS label, never shaped like an id), said as a snapshot's. */
    public static String validateName(String name) {
        try {
            return VmNames.validateNew(name);
        } catch (BangerException e) {
            throw BangerException.invalid(e.getMessage().replace("VM name", "snapshot name").replace("a VM id", "an id"));
        }
    }

    /** The name a snapshot of {@code vm} gets when none is given: the VM's and the moment, {@code web-20261202-101500}. */
    public static String defaultName(String vm, Instant at) {
        String stamp = "-" + STAMP.format(at);
        String base = vm.length() + stamp.length() > VmNames.MAX_LENGTH ? vm.substring(0, VmNames.MAX_LENGTH - stamp.length()) : vm;
        return base.replaceAll("-+$", "") + stamp;
    }

    /** Children of a fork: PREFIX-1 .. PREFIX-N; the prefix must leave room for the number. */
    public static List<String> forkNames(String prefix, int count) {
        if (count < 1 || count > MAX_FORK_COUNT) {
            throw BangerException.invalid("--count " + count + " is out of range: a fork makes 1 to " + MAX_FORK_COUNT + " VMs at once");
        }
        String suffixed = prefix + "-" + count;
        if (suffixed.length() > VmNames.MAX_LENGTH) {
            throw BangerException.invalid("fork name prefix '" + prefix + "' is too long: with '-" + count + "' it exceeds "
                    + VmNames.MAX_LENGTH + " characters; give a shorter --name");
        }
        List<String> names = IntStream.rangeClosed(1, count).mapToObj(i -> prefix + "-" + i).toList();
        names.forEach(VmNames::validateNew);
        return names;
    }

    /**
     * The key a template is found by: everything a saved state depends on (the image as built: its build time and
     * files' hashes; the spec's vCPUs, memory and disk sizes; the VMM, its version, machine type and accelerator). A
     * change of any of them makes another key, so a stale template is never restored.
     */
    public static String templateKey(ImageManifest image, VmSpec spec, SnapshotNeeds needs) {
        StringBuilder sb = new StringBuilder("banger-template-v1\n");
        sb.append(image.name()).append('\n').append(image.builtAt()).append('\n');
        image.files().stream().sorted((a, b) -> a.role().compareTo(b.role()))
                .forEach(f -> sb.append(f.role()).append('=').append(f.sha256()).append('\n'));
        sb.append(spec.vcpus()).append(' ').append(spec.memoryMib()).append(' ').append(spec.rootDiskMib()).append(' ')
                .append(spec.workDiskMib()).append('\n');
        sb.append(needs.vmm().id()).append(' ').append(needs.vmmVersion()).append(' ').append(needs.machine()).append(' ')
                .append(needs.accelerator()).append('\n');
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /**
     * What a snapshot of a VM with {@code memoryMib} of memory and disks taking {@code diskBytes} may need: the whole
     * memory (zero pages are not written, but a busy guest has few), the disks copied, the reserve.
     */
    public static long bytesNeeded(int memoryMib, long diskBytes) {
        return ((long) memoryMib << 20) + diskBytes + FREE_SPACE_RESERVE_BYTES;
    }

    /** Refuses when {@code freeBytes} cannot hold {@code neededBytes}, with both numbers and the way out. */
    public static void checkSpace(String what, long neededBytes, long freeBytes, String where) {
        if (freeBytes < neededBytes) {
            throw new BangerException(ErrorCode.RESOURCE_EXHAUSTED, "not enough disk space for " + what + ": it may need "
                    + mib(neededBytes) + " (memory, disks and a " + mib(FREE_SPACE_RESERVE_BYTES) + " reserve) and " + where + " has "
                    + mib(freeBytes) + " free; remove snapshots ('banger snapshot list', 'banger snapshot rm NAME') or VMs first");
        }
    }

    /** A template VM's name for {@code image}: never a user's (the suffix is random), recognisable in vm list. */
    public static String templateVmName(String image, String token) {
        String base = "warm-" + image.replaceAll("[^a-z0-9-]", "-");
        String suffix = "-" + token;
        if (base.length() + suffix.length() > VmNames.MAX_LENGTH) {
            base = base.substring(0, VmNames.MAX_LENGTH - suffix.length());
        }
        return VmNames.validateNew(base.replaceAll("-+$", "") + suffix);
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }

    /** Whether {@code ref} could be a snapshot's id (ids and VM ids share their shape). */
    public static boolean looksLikeId(String ref) {
        return VmIds.looksLikeId(ref);
    }
}
