package dev.banger.daemon.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.api.VmSpec;
import dev.banger.api.VmState;
import dev.banger.core.Allocation;
import dev.banger.core.BangerConfig;
import dev.banger.core.NewVm;
import dev.banger.core.StatePaths;
import dev.banger.core.VmIds;
import dev.banger.core.VmLifecycle;
import dev.banger.core.VmNames;
import dev.banger.core.VmSpecRules;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.rpc.Call;
import dev.banger.store.VmStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

/**
 * VM operations. Decisions come from banger-core; this class orders the side effects so that a failure
 * at any step leaves either a whole VM or nothing. Operations on one VM are serialised by a per-VM lock;
 * allocation of names, addresses and CIDs by one allocation lock.
 */
public final class VmService {
    private static final Logger LOG = Logger.getLogger(VmService.class.getName());

    private final VmStore store;
    private final StatePaths paths;
    private final BangerConfig.Settings settings;
    private final long hostMemoryMib;
    private final Clock clock;
    private final VmTransitions transitions;
    private final RandomGenerator random;
    private final VmDirectories dirs;
    private final ReentrantLock allocationLock = new ReentrantLock();
    private final VmLocks locks;
    private final VmPower power;
    private final ImageService images;
    /** Told of every VM deleted (the snapshot room removes a fork's layer with its last VM); set once at wiring. */
    private volatile java.util.function.Consumer<VmRecord> afterDelete = vm -> { };
    private volatile java.util.function.Consumer<java.util.List<dev.banger.api.PublishedPort>> portCheck = ports -> { };
    /** Who may mount what; set once at wiring (none: every mount refused, as in tests of the lifecycle alone). */
    private volatile Shares.Access mountAccess = Shares.NONE.access();

    public VmService(VmStore store, StatePaths paths, BangerConfig.Settings settings, long hostMemoryMib, Clock clock, RandomGenerator random,
              VmLocks locks, VmPower power, ImageService images, VmTransitions transitions) {
        this.images = images;
        this.locks = locks;
        this.power = power;
        this.store = store;
        this.paths = paths;
        this.settings = settings;
        this.hostMemoryMib = hostMemoryMib;
        this.clock = clock;
        this.transitions = transitions;
        this.random = random;
        this.dirs = new VmDirectories(paths.vmsDir());
    }

    public VmRecord create(Params.VmCreate request) {
        return create(request, null, null);
    }

    /** Sets who may mount what (wiring only). */
    public void mountAccess(Shares.Access access) {
        this.mountAccess = access;
    }

    /**
     * {@code vm.create} for {@code caller}: its {@code --mount}s are checked against the caller's credentials (a
     * directory they own, or one listed in {@code [mounts] allowed}) and recorded with the VM, in its transaction.
     */
    public VmRecord create(Params.VmCreate request, dev.banger.daemon.rpc.Caller caller) {
        return create(request, null, null, caller);
    }

    public VmRecord create(Params.VmCreate request, String fromSnapshot, String presetId) {
        if (!request.mounts().isEmpty()) {
            throw new IllegalArgumentException("a create with mounts needs its caller"); // a bug: every RPC create passes one
        }
        return create(request, fromSnapshot, presetId, null);
    }

    /**
     * {@link #create(Params.VmCreate)}, for a VM whose disks will lie over snapshot {@code fromSnapshot}'s (its first
     * start resumes it; null: a VM over its image), with id {@code presetId} when a caller recorded it beforehand
     * (a template build names its VM in its snapshot's row first, so that reconcile can find both); null: a fresh id.
     */
    private VmRecord create(Params.VmCreate request, String fromSnapshot, String presetId, dev.banger.daemon.rpc.Caller caller) {
        if (request.name() != null) {
            VmNames.validateNew(request.name());
        }
        // Validate everything before claiming anything, with a placeholder name when none was given.
        VmSpec checked = VmSpecRules.resolve(request, request.name() != null ? request.name() : "placeholder", settings, hostMemoryMib);
        images.info(checked.image()); // an unknown image fails here, naming the way out, before anything is claimed
        java.util.List<dev.banger.api.PublishedPort> publishes = dev.banger.core.ports.PublishRules.parseAll(request.publish());
        portCheck.accept(publishes);
        List<dev.banger.api.HostMount> mounts = List.of();
        if (!request.mounts().isEmpty()) {
            if (fromSnapshot != null) {
                throw BangerException.invalid("a VM that resumes a snapshot cannot have --mount: the saved state has no such devices");
            }
            mounts = mountAccess.resolve(checked, request.mounts(), caller);
        }
        VmRecord record;
        allocationLock.lock();
        try {
            String name = request.name() != null ? request.name() : freshName();
            if (store.findByName(name).isPresent()) {
                throw nameTaken(name);
            }
            VmSpec spec = VmSpecRules.resolve(request, name, settings, hostMemoryMib);
            String id = presetId != null ? presetId : freshId();
            String ip = Allocation.guestAddress(settings.subnet(), store.guestIps());
            long cid = Allocation.vsockCid(store.vsockCids());
            record = NewVm.record(id, spec, paths, ip, cid, clock.instant(), fromSnapshot).withPublishes(publishes).withMounts(mounts);
            store.insert(record);
        } finally {
            allocationLock.unlock();
        }
        CrashPoint.CREATE_AFTER_INSERT.reach();
        try {
            dirs.create(Path.of(record.runtime().vmDir()));
            transitions.descriptors().write(record); // the directory is this home's from its first moment
            CrashPoint.CREATE_AFTER_DIR.reach();
            return transition(record, VmState.STOPPED, null);
        } catch (RuntimeException e) {
            undoCreate(record);
            throw e;
        }
    }

    /** Removes a VM whose create did not complete, in reverse order: nothing half-made may stay behind. */
    void undoCreate(VmRecord vm) {
        dirs.remove(Path.of(vm.runtime().vmDir()));
        store.delete(vm.id());
    }

    /** Adds what runs after each VM is deleted (wiring only: the snapshot room, the publish room). */
    public void afterDelete(java.util.function.Consumer<VmRecord> listener) {
        java.util.function.Consumer<VmRecord> before = this.afterDelete;
        this.afterDelete = vm -> {
            before.accept(vm);
            try {
                listener.accept(vm);
            } catch (RuntimeException e) {
                LOG.warning("after deleting VM " + vm.name() + ": " + e.getMessage());
            }
        };
    }

    /** Sets the check a new VM's published ports must pass before anything is claimed (wiring: the publish room's). */
    public void checkPorts(java.util.function.Consumer<java.util.List<dev.banger.api.PublishedPort>> check) {
        this.portCheck = check;
    }

    /** An id no VM has (a template build records its VM's id before creating it). */
    public String newId() {
        allocationLock.lock();
        try {
            return freshId();
        } finally {
            allocationLock.unlock();
        }
    }

    public List<VmRecord> list() {
        return store.list();
    }

    public int count() {
        return store.count();
    }

    /**
     * The VM {@code ref} names, by id or by name. New names never have an id's shape, but a VM made before
     * that rule may be named like another's id: such a reference is refused, never guessed.
     */
    /** {@link #get}, and the VM must be running (what goes through its guest needs a guest). */
    public VmRecord getRunning(String ref) {
        VmRecord vm = get(ref);
        if (vm.state() != VmState.RUNNING) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "VM '" + vm.name() + "' is " + vm.state().wireName()
                    + ": start it first ('banger vm start " + vm.name() + "')");
        }
        return vm;
    }

    public VmRecord get(String ref) {
        if (ref == null || ref.isBlank()) {
            throw BangerException.invalid("name the VM: give its name or id");
        }
        var byId = VmIds.looksLikeId(ref) ? store.findById(ref) : Optional.<VmRecord>empty();
        var byName = store.findByName(ref);
        if (byId.isPresent() && byName.isPresent() && !byId.get().id().equals(byName.get().id())) {
            throw BangerException.invalid("'" + ref + "' is ambiguous: it is the id of VM '" + byId.get().name() + "' and the name of VM "
                    + byName.get().id() + " (made before names shaped like ids were refused); refer to that one by its id, "
                    + byName.get().id());
        }
        return byId.or(() -> byName).orElseThrow(() -> BangerException.notFound(
                "no VM named '" + dev.banger.core.Text.printable(ref, 70) + "' ('banger vm list' shows the VMs)"));
    }

    /**
     * Deletes a VM. Deleting is what frees a full disk, so it must work on one: its database writes may
     * spend the database's reserve ({@code VmStore.withReserve}); every step can run again.
     */
    public Params.Deleted delete(String ref, boolean force) {
        VmRecord found = get(ref);
        if (force) {
            power.cancelStart(found.id(), "deleted"); // a boot waiting for its guest holds no lock: it stops at once
        }
        return locks.with(found.id(), () -> store.withReserve(() -> {
            VmRecord vm = store.findById(found.id()).orElseThrow(() -> BangerException.notFound("VM '" + ref + "' was deleted meanwhile"));
            if (!force && !VmLifecycle.deletableWithoutForce(vm.state())) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, "VM '" + vm.name() + "' is " + vm.state().wireName()
                        + ": stop it first ('banger vm stop " + vm.name() + "') or delete it with --force");
            }
            if (vm.state() != VmState.DELETING) {
                vm = transition(vm, VmState.DELETING, null);
            }
            CrashPoint.DELETE_AFTER_DELETING.reach();
            List<String> warnings = finishDelete(vm);
            return new Params.Deleted(vm.id(), vm.name(), warnings);
        }));
    }

    /**
     * The rest of a delete, for a VM already marked deleting (also run by reconcile, which finishes what a
     * daemon killed mid-delete began): process and tap first (nothing may keep using the files), then
     * the files, then the record. Only what banger started for the VM is stopped; whatever else stands in
     * its directory is left running and reported.
     *
     * @return warnings for the user: what was found and left alone
     */
    List<String> finishDelete(VmRecord vm) {
        power.tearDown(vm, true);
        CrashPoint.DELETE_AFTER_TEARDOWN.reach();
        Path dir = Path.of(vm.runtime().vmDir());
        List<String> warnings = new ArrayList<>();
        if (Files.isSymbolicLink(dir)) {
            warnings.add("the VM's directory " + dir + " was a symbolic link" + linkTarget(dir)
                    + ": the link was removed, what it points to was left alone");
        }
        for (var occupant : dirs.remove(dir)) {
            warnings.add(occupant + " had its working or root directory in " + dir + "; banger did not start it and left it running");
        }
        CrashPoint.DELETE_AFTER_DIR.reach();
        store.delete(vm.id());
        afterDelete.accept(vm);
        warnings.forEach(w -> LOG.warning("deleting VM " + vm.name() + ": " + w));
        LOG.info("deleted VM " + vm.name() + " (" + vm.id() + ")");
        return warnings;
    }

    private static String linkTarget(Path link) {
        try {
            return " to " + dev.banger.core.Text.printable(Files.readSymbolicLink(link).toString(), 200);
        } catch (IOException e) {
            return "";
        }
    }

    public VmRecord start(String ref, Call call) {
        return power.start(get(ref), call);
    }

    public VmRecord stop(String ref, boolean force) {
        return power.stop(get(ref), force);
    }

    /** The pid of VM {@code ref}'s running VMM (its CPU and memory are the VM's); empty when none runs. */
    public Optional<Long> vmmPid(String ref) {
        VmRecord vm = get(ref);
        return vm.state() == VmState.RUNNING ? power.vmmPid(vm) : Optional.empty();
    }

    private VmRecord transition(VmRecord vm, VmState next, String error) {
        return transitions.move(vm, next, error);
    }

    private String freshName() {
        for (int attempt = 0; attempt < 50; attempt++) {
            String candidate = VmNames.generate(random);
            if (store.findByName(candidate).isEmpty()) {
                return candidate;
            }
        }
        throw new BangerException(ErrorCode.RESOURCE_EXHAUSTED, "could not find a free generated name; give one with --name");
    }

    private String freshId() {
        while (true) {
            String id = VmIds.generate(random);
            if (store.findById(id).isEmpty()) {
                return id;
            }
        }
    }

    private static BangerException nameTaken(String name) {
        return new BangerException(ErrorCode.NAME_TAKEN, "name taken: a VM named '" + name
                + "' already exists; choose another name or delete that VM first");
    }
}
