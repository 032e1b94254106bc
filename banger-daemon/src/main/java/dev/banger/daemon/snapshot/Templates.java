package dev.banger.daemon.snapshot;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.ImageManifest;
import dev.banger.api.Params;
import dev.banger.api.SnapshotRecord;
import dev.banger.api.VmRecord;
import dev.banger.api.VmSpec;
import dev.banger.core.BangerConfig;
import dev.banger.core.VmSpecRules;
import dev.banger.core.snapshot.SnapshotNeeds;
import dev.banger.core.snapshot.SnapshotRules;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.rpc.Call;
import dev.banger.daemon.vm.CrashPoint;
import dev.banger.daemon.vmm.Capability;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.Vmms;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

/**
 * Templates: for an image, a snapshot of a dedicated VM booted with the default spec and taken as soon as its guest
 * is ready, so that {@code vm run} of that spec resumes instead of booting. Never taken from a user's VM. Keyed by
 * everything the saved state depends on ({@link SnapshotRules#templateKey}): a changed image, spec default, VMM,
 * version, machine or accelerator makes another key, and the next start of that spec boots cold (then, with
 * {@code auto_template}, makes the new template in the background).
 */
public final class Templates {
    private static final Logger LOG = Logger.getLogger(Templates.class.getName());

    private final SnapshotService snapshots;
    private final ImageService images;
    private final Vmms vmms;
    private final BangerConfig.Settings settings;
    private final long hostMemoryMib;
    private final RandomGenerator random;
    private final ConcurrentHashMap<String, ReentrantLock> building = new ConcurrentHashMap<>();
    /** Keys a background build is under way for (at most one each). */
    private final Set<String> background = ConcurrentHashMap.newKeySet();

    public Templates(SnapshotService snapshots, ImageService images, Vmms vmms, BangerConfig.Settings settings, long hostMemoryMib,
                     RandomGenerator random) {
        this.snapshots = snapshots;
        this.images = images;
        this.vmms = vmms;
        this.settings = settings;
        this.hostMemoryMib = hostMemoryMib;
        this.random = random;
    }

    /** What a template of {@code image} is keyed by and made with. */
    record Plan(String image, VmSpec spec, ImageManifest manifest, Vmm vmm, SnapshotNeeds needs, String key) {
    }

    /** The plan for {@code image}'s default spec, or empty when its driver cannot snapshot here. */
    Optional<Plan> plan(String image) {
        VmSpec spec = VmSpecRules.resolve(new Params.VmCreate(null, image, null, null, null, null, null), "template", settings, hostMemoryMib);
        Vmm vmm = vmms.of(spec);
        if (!vmm.supports(Capability.SNAPSHOT).available()) {
            return Optional.empty();
        }
        ImageManifest manifest = images.info(image).manifest();
        SnapshotNeeds needs = vmm.snapshotNeeds(spec);
        return Optional.of(new Plan(image, spec, manifest, vmm, needs, SnapshotRules.templateKey(manifest, spec, needs)));
    }

    /**
     * The ready template a new VM of {@code request}'s spec resumes, if one matches: the request must resolve to its
     * image's default spec (a template is made with that one only).
     */
    public Optional<SnapshotRecord> match(Params.VmCreate request) {
        VmSpec wanted = VmSpecRules.resolve(request, "template", settings, hostMemoryMib);
        Optional<Plan> plan = plan(wanted.image());
        if (plan.isEmpty() || !plan.get().spec().equals(wanted)) {
            return Optional.empty();
        }
        return snapshots.store().findTemplate(plan.get().key());
    }

    /** {@code image.warm}: the image's template, made now unless a current one exists. */
    public SnapshotRecord warm(String image, Call call) {
        Plan plan = plan(image).orElseThrow(() -> new BangerException(ErrorCode.UNSUPPORTED, "image " + image + "'s VMs run on a VMM "
                + "that cannot snapshot here, so it can have no template"));
        ReentrantLock lock = building.computeIfAbsent(plan.key(), k -> new ReentrantLock());
        lock.lock();
        try {
            Optional<SnapshotRecord> current = snapshots.store().findTemplate(plan.key());
            if (current.isPresent()) {
                return current.get();
            }
            SnapshotRecord made = build(plan, call);
            sweepStale(plan);
            return made;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Boots a dedicated VM with the default spec, snapshots it the moment its guest is ready, deletes it. The row goes
     * in first, naming the VM's id before the VM exists, so a daemon killed at any step leaves reconcile both to remove.
     */
    private SnapshotRecord build(Plan plan, Call call) {
        String token = HexFormat.of().toHexDigits(random.nextInt() & 0xffff, 4);
        String vmId = snapshots.vms().newId();
        String vmName = SnapshotRules.templateVmName(plan.image(), token);
        SnapshotRecord row = snapshots.beginTemplate(plan, "template-" + vmName.substring("warm-".length()), vmId, vmName);
        CrashPoint.TEMPLATE_AFTER_INSERT.reach();
        long t0 = System.nanoTime();
        try {
            VmRecord vm = snapshots.vms().create(new Params.VmCreate(vmName, plan.image(), plan.spec().vcpus(), plan.spec().memoryMib(),
                    plan.spec().rootDiskMib(), plan.spec().workDiskMib(), plan.spec().vmm()), null, vmId);
            vm = snapshots.vms().start(vm.id(), call);
            CrashPoint.TEMPLATE_AFTER_BOOT.reach();
            SnapshotRecord made = snapshots.capture(vm, row, true);
            CrashPoint.TEMPLATE_AFTER_SNAPSHOT.reach();
            LOG.info("template " + made.name() + " of image " + plan.image() + " made in " + (System.nanoTime() - t0) / 1_000_000 + " ms ("
                    + (made.sizeBytes() >> 20) + " MiB)");
            return made;
        } catch (RuntimeException e) {
            snapshots.discard(row);
            throw e;
        } finally {
            try {
                snapshots.vms().delete(vmId, true);
            } catch (BangerException e) {
                if (e.code() != ErrorCode.NOT_FOUND) {
                    LOG.warning("cannot delete template VM " + vmName + ": " + e.getMessage());
                }
            }
        }
    }

    /** Templates of the image made for another key (the image, spec or VMM changed since), which no VM lies over, go. */
    void sweepStale(Plan plan) {
        List<SnapshotRecord> stale = snapshots.store().list().stream().filter(s -> s.kind().equals(SnapshotRecord.TEMPLATE)
                && s.state().equals(SnapshotRecord.READY) && s.image().equals(plan.image()) && !s.templateKey().equals(plan.key())).toList();
        for (SnapshotRecord s : stale) {
            if (snapshots.store().deleteUnused(s.id())) {
                snapshots.removeFiles(s.dir());
                LOG.info("removed stale template " + s.name() + " of image " + plan.image());
            }
        }
    }

    /**
     * After a start (through the API): the first cold start of an image's default spec makes its template in the
     * background ({@code [snapshots] auto_template}), so the next {@code vm run} resumes. Returns {@code vm}.
     */
    public VmRecord afterStart(VmRecord vm) {
        if (!settings.autoTemplate() || vm.runtime().fromSnapshot() != null) {
            return vm;
        }
        try {
            Optional<Plan> plan = plan(vm.spec().image());
            VmSpec unnamed = plan.map(p -> new VmSpec(vm.spec().name(), p.spec().image(), p.spec().vcpus(), p.spec().memoryMib(),
                    p.spec().rootDiskMib(), p.spec().workDiskMib(), p.spec().vmm())).orElse(null);
            if (plan.isEmpty() || !vm.spec().equals(unnamed) || snapshots.store().findTemplate(plan.get().key()).isPresent()
                    || !background.add(plan.get().key())) {
                return vm;
            }
            String key = plan.get().key();
            Thread.ofVirtual().name("template-" + vm.spec().image()).start(() -> {
                try {
                    LOG.info("making image " + vm.spec().image() + "'s template in the background, after VM " + vm.name() + "'s cold start");
                    warm(vm.spec().image(), Call.NONE);
                } catch (RuntimeException e) {
                    LOG.warning("the background template of image " + vm.spec().image() + " failed: " + e.getMessage());
                } finally {
                    background.remove(key);
                }
            });
        } catch (RuntimeException e) {
            LOG.warning("cannot tell whether image " + vm.spec().image() + " needs a template: " + e.getMessage());
        }
        return vm;
    }
}
