package dev.banger.daemon.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.core.StatePaths;
import dev.banger.host.AtomicFiles;
import dev.banger.host.StateFiles;
import dev.banger.host.vm.VmHandles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The daemon's view of each VM's transient handles (pid, tap, ...): a thread-safe map, written through
 * to the VM directory's {@code handles.json} (temp file, fsync, rename) whenever they change, so that a
 * daemon killed at any moment leaves the next one enough to find or clean up what it made. The file is
 * scratch, not truth: {@link VmLiveness} prefers what the process table says.
 */
public final class VmHandleCache {
    private static final Logger LOG = Logger.getLogger(VmHandleCache.class.getName());
    /** A handles file is a few hundred bytes; anything larger is not one. */
    private static final int MAX_FILE_BYTES = 64 * 1024;

    private final Map<String, VmHandles> byId = new ConcurrentHashMap<>();

    /** The cached handles, if this daemon has recorded or rediscovered any. */
    Optional<VmHandles> get(String vmId) {
        return Optional.ofNullable(byId.get(vmId));
    }

    /** Records {@code handles} for {@code vm}: the file first (so a crash right after still has it), then the map. */
    void put(VmRecord vm, VmHandles handles) {
        try {
            AtomicFiles.write(file(vm), handles.toJson());
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot write " + file(vm) + ": " + e.getMessage(), e);
        }
        byId.put(vm.id(), handles);
    }

    /** Forgets {@code vm}'s handles: nothing of it runs or is attached any more. */
    void remove(VmRecord vm) {
        byId.remove(vm.id());
        try {
            Files.deleteIfExists(file(vm));
        } catch (IOException e) {
            LOG.warning("cannot remove " + file(vm) + ": " + e.getMessage());
        }
    }

    /** Seeds the map from what reconcile found, without rewriting the file when it already says so. */
    void seed(VmRecord vm, VmHandles handles) {
        if (!handles.equals(load(vm))) {
            put(vm, handles);
        } else {
            byId.put(vm.id(), handles);
        }
    }

    /**
     * The scratch file's handles. A missing file means none; an unreadable or corrupt one is logged and
     * also means none: it never stops the daemon, and nothing it names is acted on.
     */
    VmHandles load(VmRecord vm) {
        Path f = file(vm);
        try {
            // Never through a link, and bounded: a handles file is a few hundred bytes.
            return StateFiles.readBounded(f, MAX_FILE_BYTES).map(text -> VmHandles.parse(text, vm.id())).orElse(VmHandles.NONE);
        } catch (IOException | IllegalArgumentException e) {
            LOG.warning(f + " is unreadable or corrupt (" + e.getMessage() + "): treated as no handles");
            return VmHandles.NONE;
        }
    }

    private static Path file(VmRecord vm) {
        return StatePaths.VmFile.HANDLES.in(Path.of(vm.runtime().vmDir()));
    }
}
