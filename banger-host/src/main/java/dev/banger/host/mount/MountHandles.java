package dev.banger.host.mount;

import dev.banger.core.VmIds;
import dev.banger.core.mount.VirtiofsdCommand;
import dev.banger.host.vm.HandlesPart;
import java.nio.file.Path;
import java.util.List;

/**
 * The "mounts" part of a VM's handles: for each mount started, its bind mount and its virtiofsd (pid, socket, lock
 * file). Checked when read back, since a release acts on it: every path must be where banger puts that VM's mounts.
 */
public final class MountHandles {
    /** One mount's transient pieces. */
    public record Entry(int index, String bindMount, String socket, String pidFile, long pid) {
    }

    /** A VM's mounts, in order. */
    public record Mounts(List<Entry> entries) {
        public Mounts {
            entries = entries == null ? List.of() : List.copyOf(entries);
        }
    }

    public static final HandlesPart<Mounts> PART = new HandlesPart<>() {
        @Override
        public String key() {
            return "mounts";
        }

        @Override
        public Class<Mounts> type() {
            return Mounts.class;
        }

        @Override
        public void check(Mounts value, String vmId) {
            if (!VmIds.looksLikeId(vmId)) {
                throw new IllegalArgumentException("not a VM id: " + vmId);
            }
            for (Entry e : value.entries()) {
                if (e.index() < 0 || e.index() > 99 || e.pid() < 0 || e.pid() > 4_194_304) {
                    throw new IllegalArgumentException("mount entry " + e.index() + " is out of range");
                }
                Path bind = Path.of(e.bindMount());
                Path socket = Path.of(e.socket());
                if (!bind.isAbsolute() || !bind.normalize().equals(bind) || !bind.getFileName().toString().equals(e.index() + ".root")
                        || !bind.getParent().getFileName().toString().equals(vmId)
                        || !bind.getParent().getParent().getFileName().toString().equals("mounts")) {
                    throw new IllegalArgumentException("bind mount " + e.bindMount() + " is not where banger mounts VM " + vmId + "'s");
                }
                if (!socket.equals(bind.getParent().resolve(Integer.toString(e.index())).resolve("sock"))) {
                    throw new IllegalArgumentException("virtiofsd socket " + e.socket() + " is not where banger puts VM " + vmId + "'s");
                }
                if (e.pidFile() != null && !VirtiofsdCommand.pidFile(VirtiofsdCommand.Flavor.QEMU, socket).map(Path::toString)
                        .orElseThrow().equals(e.pidFile())) {
                    throw new IllegalArgumentException("virtiofsd lock file " + e.pidFile() + " is not that of socket " + socket);
                }
            }
        }
    };

    private MountHandles() {
    }
}
