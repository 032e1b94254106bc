package dev.banger.daemon;

import dev.banger.daemon.agent.AgentIdentity;
import dev.banger.daemon.e2b.E2bKeys;
import dev.banger.daemon.e2b.E2bRoom;
import dev.banger.daemon.e2b.VmGuests;
import dev.banger.daemon.e2b.VmSandboxes;
import dev.banger.daemon.snapshot.SnapshotReconciler;
import dev.banger.daemon.snapshot.SnapshotRestores;
import dev.banger.daemon.snapshot.SnapshotService;
import dev.banger.daemon.publish.PublishService;
import dev.banger.daemon.snapshot.SnapshotVms;
import dev.banger.daemon.snapshot.Templates;
import dev.banger.daemon.task.TaskService;
import dev.banger.daemon.vm.Restores;

import dev.banger.api.BangerVersion;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.core.BangerConfig;
import dev.banger.core.StatePaths;
import dev.banger.daemon.agent.AgentProbe;
import dev.banger.daemon.agent.AgentSessions;
import dev.banger.daemon.agent.DetachedExecService;
import dev.banger.daemon.agent.CopyService;
import dev.banger.daemon.agent.ExecService;
import dev.banger.daemon.agent.VmPortsService;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.mount.MountAccess;
import dev.banger.daemon.mount.MountRuntime;
import dev.banger.host.mount.Virtiofsd;
import dev.banger.daemon.net.HostNetworking;
import dev.banger.daemon.rpc.RpcDispatcher;
import dev.banger.daemon.rpc.RpcServer;
import dev.banger.daemon.rpc.SocketBinder;
import dev.banger.daemon.vm.HomeRecovery;
import dev.banger.daemon.vm.Reconciler;
import dev.banger.daemon.vm.VmDescriptors;
import dev.banger.daemon.vm.VmHandleCache;
import dev.banger.daemon.vm.VmLiveness;
import dev.banger.daemon.vm.VmLocks;
import dev.banger.daemon.vm.VmMeter;
import dev.banger.daemon.vm.VmPower;
import dev.banger.daemon.vm.VmService;
import dev.banger.daemon.vm.VmTransitions;
import dev.banger.daemon.vmm.FirecrackerVmm;
import dev.banger.daemon.vmm.QemuVmm;
import dev.banger.daemon.vmm.Vmms;
import dev.banger.host.HostInfo;
import dev.banger.host.net.NetworkHost;
import dev.banger.store.Database;
import dev.banger.store.StoreException;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * bangerd, wired: lock, configuration, database, VM service, RPC server. Built in {@link #start} and
 * torn down in {@link #close}; no singletons, no static state.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Daemon.class.getName());

    private final StatePaths paths;
    private final DaemonLock lock;
    private final Database db;
    private final VmService vms;
    private final ImageService images;
    private final HostNetworking network;
    private final RpcServer server;
    private final Instant startedAt;
    private final BangerConfig.Settings settings;
    private final VmPortsService ports;
    private final ExecService exec;
    private final DetachedExecService detached;
    private final CopyService copies;
    private final AgentSessions sessions;
    private final SnapshotRoom snapshots;
    private final PublishService publishing;
    private final TaskService tasks;
    private final E2bKeys e2bKeys;
    /** The E2B API's listener, when {@code [e2b] listen} is set; else null. */
    private final E2bRoom e2b;
    /** What the start-up reconcile did (daemon status shows it). */
    private final String reconcileSummary;
    private final Clock clock;
    private final CountDownLatch shutdownRequested = new CountDownLatch(1);
    /** How long a forwarded connection waits for the VM's agent channel (a VM just started may still be booting). */
    private static final Duration FORWARD_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private volatile boolean closed;

    private Daemon(StatePaths paths, DaemonLock lock, Database db, VmService vms, ImageService images, HostNetworking network,
                   ServerSocketChannel channel, Clock clock, BangerConfig.Settings settings, String reconcileSummary,
                   AgentSessions sessions, VmPortsService ports, ExecService exec, CopyService copies, SnapshotRoom snapshots,
                   PublishService publishing, TaskService tasks, E2bKeys e2bKeys, E2bRoom e2b) {
        this.tasks = tasks;
        this.e2bKeys = e2bKeys;
        this.e2b = e2b;
        this.snapshots = snapshots;
        this.publishing = publishing;
        this.settings = settings;
        this.sessions = sessions;
        this.reconcileSummary = reconcileSummary;
        this.ports = ports;
        this.exec = exec;
        this.detached = new DetachedExecService(exec);
        this.copies = copies;
        this.network = network;
        this.paths = paths;
        this.lock = lock;
        this.db = db;
        this.vms = vms;
        this.images = images;
        this.clock = clock;
        this.startedAt = clock.instant();
        this.server = new RpcServer(channel, dispatcher());
    }

    /** Takes the lock, opens the state and binds the socket; {@link #run()} then serves. */
    public static Daemon start(StatePaths paths) {
        return start(paths, HomeRecovery.Mode.NORMAL);
    }

    /**
     * As {@link #start(StatePaths)}; {@code mode} RECOVER first rebuilds the records of VM directories the
     * database lacks from their vm.json, PURGE first destroys what the database does not know.
     */
    static Daemon start(StatePaths paths, HomeRecovery.Mode mode) {
        paths.checkSocketPathLengths();
        createDirectories(paths);
        DaemonLock lock = DaemonLock.acquire(paths.lockFile(), HostInfo.pid());
        Database db = null;
        E2bRoom e2b = null;
        try {
            BangerConfig.Settings settings = ConfigFile.load(paths.configFile());
            Clock clock = Clock.systemUTC();
            SecureRandom random = new SecureRandom();
            Vmms vmms = Vmms.of(new QemuVmm(settings.accel(), settings.kernelLog(), paths),
                    new FirecrackerVmm(settings.accel(), settings.kernelLog(), settings.firecracker(), paths));
            NetworkHost host = NetworkHost.direct();
            VmHandleCache handles = new VmHandleCache();
            VmLiveness liveness = new VmLiveness(vmms, handles);
            db = openDatabase(paths, mode, liveness, host, clock);
            var store = db.vms();
            ImageService images = new ImageService(paths, installDir(), store, clock, random);
            images.sweepDebris();
            VmLocks locks = new VmLocks();
            HostNetworking network = new HostNetworking(host, settings,
                    name -> store.findByName(name).filter(v -> v.state() == dev.banger.api.VmState.RUNNING).map(v -> v.runtime().guestIp()));
            VmDescriptors descriptors = new VmDescriptors(db.homeId(), paths.vmsDir());
            String before = "";
            if (mode == HomeRecovery.Mode.RECOVER) {
                var recovered = HomeRecovery.recover(db, paths.vmsDir());
                descriptors = recovered.getKey();
                before = recovered.getValue().summary() + "; ";
            } else if (mode == HomeRecovery.Mode.PURGE) {
                before = HomeRecovery.purge(store, paths.vmsDir(), vmms, liveness, network) + "; ";
            }
            VmTransitions transitions = new VmTransitions(store, clock, descriptors);
            AgentSessions sessions = new AgentSessions(vmms, liveness);
            MountRuntime mounts = new MountRuntime(paths, Virtiofsd.find());
            VmPower power = new VmPower(store, paths, images, vmms, network, locks, clock, handles, liveness, transitions,
                    new AgentProbe(sessions), new Restores(new SnapshotRestores(db.snapshots(), paths), new AgentIdentity(sessions, random, clock)),
                    mounts);
            VmService vms = new VmService(store, paths, settings, HostInfo.totalMemoryMib(), clock, random, locks, power, images, transitions);
            vms.mountAccess(new MountAccess(vmms, settings.mountsAllowed()));
            SnapshotService snapshotService = new SnapshotService(db.snapshots(), store, vms, locks, vmms, paths, clock, random,
                    vm -> sessions.prepareSnapshot(vm, Duration.ofSeconds(60)));
            vms.afterDelete(snapshotService::vmDeleted);
            Templates templates = new Templates(snapshotService, images, vmms, settings, HostInfo.totalMemoryMib(), random);
            SnapshotRoom snapshots = new SnapshotRoom(snapshotService, templates, new SnapshotVms(snapshotService, templates, store, clock, random));
            PublishService publishing = new PublishService(db.publishes(), vms::get,
                    (vm, request) -> sessions.open(vm, request, FORWARD_CONNECT_TIMEOUT), settings.autoPublish(), clock);
            vms.checkPorts(publishing::checkFree);
            transitions.afterMove(vm -> {
                if (vm.state() == dev.banger.api.VmState.RUNNING) {
                    publishing.running(vm);
                } else {
                    publishing.notRunning(vm.id());
                }
            });
            vms.afterDelete(vm -> publishing.notRunning(vm.id()));
            // A VM's tasks follow it: a stopped VM's running tasks are lost, a deleted VM's rows went with its record.
            TaskService tasks = new TaskService(db.tasks(), vms, sessions, clock);
            transitions.afterMove(tasks::vmMoved);
            vms.afterDelete(tasks::vmDeleted);
            // Before serving: nobody may act on a VM whose record and reality disagree.
            Reconciler.Report reconciled = new Reconciler(store, paths.vmsDir(), vms, power, liveness, handles, network, transitions).reconcile();
            String snapshotsReconciled = new SnapshotReconciler(snapshotService, store, vmms, paths).reconcile();
            publishing.restore(store.list());
            tasks.restore();
            // A sandbox's E2B state goes with its VM, however the VM is deleted (E2B's kill, 'vm rm', the reaper).
            var e2bStore = db.e2b();
            vms.afterDelete(vm -> e2bStore.deleteSandbox(vm.id()));
            E2bKeys e2bKeys = new E2bKeys(e2bStore, clock, random);
            ServerSocketChannel channel = SocketBinder.bind(paths.socket(), paths.socketStaging(), settings.socketGroup());
            try {
                e2b = settings.e2b().enabled()
                        ? E2bRoom.start(settings.e2b(), e2bStore, e2bKeys, new VmSandboxes(vms, new VmMeter(vms, clock), snapshots.vms(), templates, images, snapshotService,
                                (vm, request) -> sessions.open(vm, request, FORWARD_CONNECT_TIMEOUT)),
                                new VmGuests(vms, sessions), settings.defaultImage(), paths.e2bTokenSecret(), clock, random)
                        : null;
            } catch (RuntimeException e) {
                closeQuietly(channel);
                throw e;
            }
            return new Daemon(paths, lock, db, vms, images, network, channel, clock, settings,
                    before + reconciled.summary() + "; " + snapshotsReconciled, sessions, new VmPortsService(vms, sessions),
                    new ExecService(vms, sessions), new CopyService(vms, sessions), snapshots, publishing, tasks, e2bKeys, e2b);
        } catch (RuntimeException e) {
            if (e2b != null) {
                e2b.close();
            }
            if (db != null) {
                db.close();
            }
            closeQuietly(lock);
            throw e;
        }
    }

    /**
     * The state database, opened only when that cannot lose anything: a missing or empty one while banger's
     * VMs are on the host, or a damaged or unreadable one, is refused with the way out (never replaced by a
     * fresh database, whose reconcile would know none of them). A recovery moves a damaged file aside first.
     */
    private static Database openDatabase(StatePaths paths, HomeRecovery.Mode mode, VmLiveness liveness, NetworkHost host, Clock clock) {
        Path file = paths.database();
        try {
            Database.FileState state = Database.inspect(file);
            if (state != Database.FileState.PRESENT) {
                if (mode == HomeRecovery.Mode.NORMAL) {
                    HomeRecovery.Found found = HomeRecovery.survey(paths.vmsDir(), liveness, host::listTaps);
                    if (!found.isEmpty()) {
                        throw HomeRecovery.refusal(file, state, found);
                    }
                }
                // A journal without its database belongs to the lost one: kept aside, never replayed into a new file.
                if (Files.exists(file.resolveSibling(file.getFileName() + "-wal")) || Files.exists(file.resolveSibling(file.getFileName() + "-shm"))) {
                    HomeRecovery.moveAside(file, clock.instant(), "orphaned");
                }
            }
            return Database.open(file);
        } catch (StoreException e) {
            if (e.kind() == StoreException.Kind.CORRUPT && mode != HomeRecovery.Mode.NORMAL) {
                HomeRecovery.moveAside(file, clock.instant(), "damaged");
                return Database.open(file);
            }
            if (e.kind() == StoreException.Kind.CORRUPT || e.kind() == StoreException.Kind.UNREADABLE) {
                throw HomeRecovery.unusable(file, e);
            }
            throw e;
        }
    }

    private RpcDispatcher dispatcher() {
        return new RpcDispatcher()
                .registerLong(Rpcs.VM_CREATE, snapshots.vms()::create)
                .register(Rpcs.VM_LIST, ignored -> new Params.VmList(vms.list().stream().map(publishing::view).toList()))
                .register(Rpcs.VM_GET, p -> publishing.view(vms.get(p.vm())))
                .register(Rpcs.VM_PUBLISH, publishing::publish)
                .register(Rpcs.VM_UNPUBLISH, publishing::unpublish)
                .register(Rpcs.VM_DELETE, p -> vms.delete(p.vm(), p.forced()))
                .registerLong(Rpcs.VM_START, (p, call) -> snapshots.templates().afterStart(vms.start(p.vm(), call)))
                .register(Rpcs.VM_STOP, p -> vms.stop(p.vm(), p.forced()))
                .register(Rpcs.VM_PORTS, p -> ports.ports(p.vm()))
                .registerLong(Rpcs.VM_EXEC, exec::exec)
                .register(Rpcs.VM_EXEC_DETACH, detached::detach)
                .register(Rpcs.VM_EXEC_LIST, detached::list)
                .register(Rpcs.VM_EXEC_SIGNAL, detached::signal)
                .registerLong(Rpcs.VM_EXEC_ATTACH, exec::attach)
                .register(Rpcs.VM_TASK_START, tasks::start)
                .register(Rpcs.VM_TASK_STATUS, tasks::status)
                .register(Rpcs.VM_TASK_WAIT, tasks::await)
                .register(Rpcs.VM_TASK_SIGNAL, tasks::signal)
                .registerLong(Rpcs.VM_TASK_ATTACH, tasks::attach)
                .register(Rpcs.VM_USAGE, new VmMeter(vms, clock)::usage)
                .registerLong(Rpcs.VM_CP, copies::copy)
                .registerLong(Rpcs.IMAGE_BUILD, images::build)
                .register(Rpcs.IMAGE_LIST, ignored -> images.list())
                .register(Rpcs.IMAGE_GET, p -> images.info(p.image()))
                .register(Rpcs.IMAGE_DELETE, p -> {
                    // Unknown (NOT_FOUND) or used by a VM (refused by the delete): no snapshot is touched.
                    if (images.info(p.image()).usedBy().isEmpty()) {
                        snapshots.service().releaseImage(p.image());
                    }
                    return images.delete(p.image());
                })
                .register(Rpcs.VM_SNAPSHOT, snapshots.service()::snapshot)
                .registerLong(Rpcs.VM_FORK, snapshots.vms()::fork)
                .register(Rpcs.SNAPSHOT_LIST, ignored -> snapshots.service().list())
                .register(Rpcs.SNAPSHOT_GET, p -> snapshots.service().get(p.snapshot()))
                .register(Rpcs.SNAPSHOT_DELETE, p -> snapshots.service().delete(p.snapshot()))
                .registerLong(Rpcs.IMAGE_WARM, (p, call) -> snapshots.templates().warm(p.image(), call))
                .registerLong(Rpcs.IMAGE_IMPORT, (p, call) -> images.importImage(p, call.caller()))
                .register(Rpcs.IMAGE_VERIFY, p -> images.verify(p.image()))
                .register(Rpcs.E2B_KEY_CREATE, p -> e2bKeys.create(p))
                .register(Rpcs.E2B_KEY_LIST, ignored -> e2bKeys.list())
                .register(Rpcs.E2B_KEY_REVOKE, p -> e2bKeys.revoke(p))
                .register(Rpcs.DAEMON_STATUS, ignored -> status())
                .register(Rpcs.DAEMON_TEARDOWN, ignored -> teardown())
                .register(Rpcs.DAEMON_SHUTDOWN, ignored -> {
                    LOG.info("shutdown requested over RPC");
                    shutdownRequested.countDown();
                    return new Params.ShutdownAccepted(true);
                })
                .requireExactly(Rpcs.ALL);
    }

    Params.DaemonStatus status() {
        return new Params.DaemonStatus(BangerVersion.current(), HostInfo.pid(),
                Duration.between(startedAt, clock.instant()).toSeconds(), paths.stateDir().toString(),
                paths.socket().toString(), paths.database().toString(), db.schemaVersion(), vms.count(), server.openConnections(),
                settings.defaultImage(), reconcileSummary);
    }

    /** Removes the bridge, taps, NAT and DNS from the host; refused while any VM might be running. */
    private Params.TornDown teardown() {
        List<String> busy = vms.list().stream().filter(v -> !dev.banger.core.VmLifecycle.deletableWithoutForce(v.state()))
                .map(v -> v.name()).toList();
        if (!busy.isEmpty()) {
            throw new dev.banger.api.BangerException(dev.banger.api.ErrorCode.FAILED_PRECONDITION, "VMs are running ("
                    + String.join(", ", busy) + "): stop them first ('banger vm stop NAME'), then tear down");
        }
        network.teardown();
        return new Params.TornDown(settings.bridge());
    }

    /** Serves until daemon.shutdown or {@link #close()}. */
    public void run() {
        Thread acceptor = Thread.ofPlatform().name("rpc-accept").start(server::serve);
        String startup = HostInfo.processStart()
                .map(t -> ", " + Duration.between(t, clock.instant()).toMillis() + " ms after process start").orElse("");
        LOG.info("bangerd " + BangerVersion.current() + " ready on " + paths.socket() + " (pid " + HostInfo.pid() + startup + ")");
        try {
            shutdownRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (e2b != null) {
            e2b.close();
        }
        tasks.close();
        server.close(5_000);
        publishing.close();
        sessions.close();
        network.close();
        try {
            Files.deleteIfExists(paths.socket());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot remove " + paths.socket(), e);
        }
        db.close();
        closeQuietly(lock);
        shutdownRequested.countDown();
        LOG.info("bangerd stopped");
    }

    /** The banger checkout or install (recipes in images/, the agent jar), set by bin/bangerd. */
    private static Path installDir() {
        String dir = System.getProperty("banger.install");
        return Path.of(dir != null ? dir : ".").toAbsolutePath().normalize();
    }

    private static void createDirectories(StatePaths paths) {
        try {
            Files.createDirectories(paths.stateDir());
            Files.createDirectories(paths.runDir());
            Files.createDirectories(paths.vmsDir());
            Files.createDirectories(paths.imagesDir());
            // vms/ holds every VM's keys, tokens and disks: root's own directory, never a link to elsewhere.
            dev.banger.host.StateFiles.requireOwnDirectory(paths.vmsDir(), "the VMs directory");
            Files.setPosixFilePermissions(paths.vmsDir(), PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new dev.banger.api.BangerException(dev.banger.api.ErrorCode.HOST_FAILURE,
                    "cannot create the state directories under " + paths.stateDir() + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.log(Level.FINE, "close", e);
        }
    }

    /** Reads the optional configuration file. */
    static final class ConfigFile {
        private ConfigFile() {
        }

        static BangerConfig.Settings load(Path file) {
            try {
                return BangerConfig.parse(Files.readString(file), file.toString());
            } catch (NoSuchFileException e) {
                return BangerConfig.DEFAULTS;
            } catch (IOException e) {
                throw new dev.banger.api.BangerException(dev.banger.api.ErrorCode.HOST_FAILURE, "cannot read " + file + ": " + e.getMessage(), e);
            }
        }
    }
}
