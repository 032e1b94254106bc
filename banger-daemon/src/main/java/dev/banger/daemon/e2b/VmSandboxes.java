package dev.banger.daemon.e2b;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.publish.GuestConnection;
import dev.banger.daemon.publish.GuestStreams;
import dev.banger.daemon.rpc.Call;
import dev.banger.daemon.snapshot.SnapshotService;
import dev.banger.daemon.snapshot.SnapshotVms;
import dev.banger.daemon.snapshot.Templates;
import dev.banger.daemon.vm.VmMeter;
import dev.banger.daemon.vm.VmService;
import dev.banger.host.disk.Disks;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sandboxes as banger VMs, through the services {@code vm create}, {@code vm start}, {@code vm rm} and {@code vm fork} use:
 * a create goes over the image's template when there is one (an instant start), and a VM that fails to start is deleted.
 */
public final class VmSandboxes implements SandboxBackend {
    private static final Logger LOG = Logger.getLogger(VmSandboxes.class.getName());
    private final VmService vms;
    private final VmMeter meter;
    private final SnapshotVms snapshotVms;
    private final Templates templates;
    private final ImageService images;
    private final SnapshotService snapshots;

    private final GuestStreams guest;

    public VmSandboxes(VmService vms, VmMeter meter, SnapshotVms snapshotVms, Templates templates, ImageService images,
                       SnapshotService snapshots, GuestStreams guest) {
        this.meter = meter;
        this.guest = guest;
        this.snapshots = snapshots;
        this.vms = vms;
        this.snapshotVms = snapshotVms;
        this.templates = templates;
        this.images = images;
    }

    @Override
    public boolean imageExists(String image) {
        try {
            images.info(image);
            return true;
        } catch (BangerException e) {
            if (e.code() == ErrorCode.NOT_FOUND || e.code() == ErrorCode.INVALID_ARGUMENT) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public Vm create(String image) {
        VmRecord vm = snapshotVms.create(new Params.VmCreate(null, image, null, null, null, null, null, null, null, null, null));
        try {
            return view(templates.afterStart(vms.start(vm.id(), Call.NONE)));
        } catch (RuntimeException e) {
            try {
                vms.delete(vm.id(), true);
            } catch (RuntimeException again) {
                LOG.log(Level.WARNING, "e2b: cannot delete VM " + vm.id() + " after its failed start", again);
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    @Override
    public Optional<Vm> find(String id) {
        try {
            VmRecord vm = vms.get(id);
            // By id only: a sandbox id that happens to be another VM's name must not reach that VM.
            return vm.id().equals(id) ? Optional.of(view(vm)) : Optional.empty();
        } catch (BangerException e) {
            if (e.code() == ErrorCode.NOT_FOUND || e.code() == ErrorCode.INVALID_ARGUMENT) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public void delete(String id) {
        if (find(id).isPresent()) {
            vms.delete(id, true);
        }
    }

    @Override
    public Vm resume(String id) {
        return view(templates.afterStart(vms.start(id, Call.NONE)));
    }

    @Override
    public List<Vm> fork(String id, int count) {
        return snapshotVms.fork(new Params.VmFork(id, count, null), Call.NONE).children().stream().map(VmSandboxes::view).toList();
    }

    @Override
    public void pause(String id) {
        snapshots.pause(id);
    }

    /** bangerd's one measure of a VM ({@link VmMeter}, vm.usage's), with the disk; memory capped at the VM's size. */
    @Override
    public Optional<Usage> usage(String id) {
        VmRecord vm = vms.get(id);
        Params.VmUsageSample u = meter.sample(vm.id(), VmMeter.DEFAULT_INTERVAL);
        if (u.cpuPercent() == null || u.rssBytes() == null) {
            return Optional.empty();
        }
        long memTotal = (long) vm.spec().memoryMib() << 20;
        long diskTotal = (vm.spec().rootDiskMib() + vm.spec().workDiskMib()) << 20;
        long disk = Disks.diskUsage(Path.of(vm.runtime().vmDir()));
        return Optional.of(new Usage(u.cpuPercent(), Math.min(u.rssBytes(), memTotal), Math.min(disk, diskTotal)));
    }

    @Override
    public GuestConnection openPort(String id, int port) {
        return GuestConnection.open(vms.getRunning(id), port, guest);
    }

    private static Vm view(VmRecord vm) {
        return new Vm(vm.id(), vm.state() == VmState.RUNNING, vm.spec().vcpus(), vm.spec().memoryMib(),
                vm.spec().rootDiskMib() + vm.spec().workDiskMib());
    }
}
