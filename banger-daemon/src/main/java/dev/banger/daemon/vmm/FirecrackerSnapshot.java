package dev.banger.daemon.vmm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.vm.FirecrackerBoot;
import dev.banger.core.vm.JailerPlan;
import dev.banger.host.disk.Disks;
import dev.banger.host.vm.FirecrackerApi;
import dev.banger.host.vm.JailerLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * A running Firecracker's side of a snapshot (for {@link FirecrackerVmm}): pause it, have it write its device state
 * and memory ({@code PUT /snapshot/create}, a full snapshot), copy the root the paused guest writes, and resume.
 * Firecracker writes the two files itself, so a jailed one writes them through links in its jail
 * ({@link JailerPlan#snapshotPlacements}); they are taken back and unlinked before anything else reads them.
 */
final class FirecrackerSnapshot {
    private static final Logger LOG = Logger.getLogger(FirecrackerSnapshot.class.getName());
    /** A snapshot's files, as this driver names them in the snapshot's directory. */
    static final String STATE_FILE = "vmstate";
    static final String MEMORY_FILE = "memory";
    static final String ROOT_FILE = "root.img";
    private static final long MIB = 1024 * 1024;

    private FirecrackerSnapshot() {
    }

    /**
     * Pauses the guest behind {@code api}, has Firecracker write {@link #STATE_FILE} and {@link #MEMORY_FILE} into
     * {@code dir}, then copies {@code rootDrive} (the file or device the guest writes) to {@link #ROOT_FILE}: the
     * guest is paused and Firecracker's block devices write synchronously through the page cache, so the copy is
     * the disk at the moment the memory was saved. The guest stays paused, also on failure, which leaves none of
     * the three files (nor links in the jail).
     *
     * @param memoryBytes the guest's memory: Firecracker's memory file is exactly that large, so a limit below it is
     *                    refused before the guest is paused
     */
    static Vmm.SavedState save(Path apiSocket, Optional<JailerPlan> jail, Path dir, Path rootDrive, long memoryBytes,
                               long maxStateBytes, Duration timeout) {
        if (memoryBytes > maxStateBytes) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "the guest's memory (" + memoryBytes / MIB + " MiB) is more "
                    + "than a saved state may take (" + maxStateBytes / MIB + " MiB): Firecracker writes all of it");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Path vmstate = dir.resolve(STATE_FILE);
        Path memory = dir.resolve(MEMORY_FILE);
        Path root = dir.resolve(ROOT_FILE);
        List<JailerPlan.Placement> linked = jail.map(j -> j.snapshotPlacements(vmstate, memory, true)).orElse(List.of());
        try (FirecrackerApi api = FirecrackerApi.open(apiSocket)) {
            jail.ifPresent(j -> JailerLayout.addToRunningJail(j, linked));
            api.send(FirecrackerBoot.pause());
            long pausedAt = System.nanoTime();
            api.send(FirecrackerBoot.createSnapshot(
                    jail.isPresent() ? Path.of(JailerPlan.insidePath(JailerPlan.SNAPSHOT_STATE_NAME)) : vmstate,
                    jail.isPresent() ? Path.of(JailerPlan.insidePath(JailerPlan.SNAPSHOT_MEMORY_NAME)) : memory), remaining(deadline));
            if (jail.isPresent()) {
                JailerLayout.removeFromJail(jail.get(), linked);
                JailerLayout.takeBack(vmstate);
                JailerLayout.takeBack(memory);
            }
            long bytes = stateBytes(vmstate, memory, maxStateBytes);
            remaining(deadline);
            Disks.copySparse(rootDrive, root);
            return new Vmm.SavedState(bytes, Duration.ofNanos(System.nanoTime() - pausedAt));
        } catch (RuntimeException e) {
            jail.ifPresent(j -> {
                try {
                    JailerLayout.removeFromJail(j, linked);
                } catch (BangerException left) {
                    LOG.warning(left.getMessage());
                }
            });
            for (Path p : List.of(vmstate, memory, root)) {
                deleteQuietly(p);
            }
            throw e;
        }
    }

    /** Whether the guest is paused: GET / answers InstanceInfo, whose state is "Not started", "Running" or "Paused". */
    static boolean paused(Path apiSocket) {
        try (FirecrackerApi api = FirecrackerApi.open(apiSocket)) {
            return paused(api);
        }
    }

    /** PATCH /vm Resumed when the guest is paused; nothing otherwise. */
    static void resume(Path apiSocket, Duration timeout) {
        try (FirecrackerApi api = FirecrackerApi.open(apiSocket)) {
            if (paused(api)) {
                api.send(FirecrackerBoot.resume(), timeout);
            }
        }
    }

    private static boolean paused(FirecrackerApi api) {
        var info = api.get("/");
        if (info == null || !info.path("state").isTextual()) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "Firecracker's GET / has no state: not Firecracker?");
        }
        return info.get("state").asText().equals(FirecrackerBoot.PAUSED);
    }

    /** The two files' sizes, which must be regular files within {@code max}. */
    private static long stateBytes(Path vmstate, Path memory, long max) {
        long bytes = 0;
        for (Path p : List.of(vmstate, memory)) {
            try {
                var attrs = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!attrs.isRegularFile()) {
                    throw new BangerException(ErrorCode.HOST_FAILURE, "Firecracker left " + p + " as something else than a file");
                }
                bytes += attrs.size();
            } catch (IOException e) {
                throw new BangerException(ErrorCode.HOST_FAILURE, "Firecracker answered the snapshot but " + p + " is not there: "
                        + e.getMessage(), e);
            }
        }
        if (bytes > max) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "Firecracker wrote " + bytes + " bytes of state, more than the "
                    + max + " a snapshot of this VM may take");
        }
        return bytes;
    }

    private static Duration remaining(long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new BangerException(ErrorCode.TIMED_OUT, "the snapshot did not finish in time");
        }
        return Duration.ofNanos(left);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warning("cannot remove " + p + ": " + e.getMessage());
        }
    }
}
