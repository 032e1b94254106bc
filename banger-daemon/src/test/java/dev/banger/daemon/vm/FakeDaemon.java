package dev.banger.daemon.vm;

import dev.banger.api.ImageManifest;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.core.BangerConfig;
import dev.banger.core.StatePaths;
import dev.banger.core.net.InterfaceNames;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.net.FakeNetwork;
import dev.banger.daemon.vmm.FakeVmm;
import dev.banger.daemon.vmm.Vmms;
import dev.banger.host.ImageBuilder;
import dev.banger.store.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * bangerd's orchestration, wired as the real daemon wires it (a real SQLite file, real VM directories,
 * the real VmService, VmPower and Reconciler) over a host that is faked where it would need root: a
 * {@link FakeVmm}, a {@link FakeNetwork} and a guest probe the test answers. {@link #restart} builds a
 * new daemon over the same database and the same fake host, as a daemon killed and started again would
 * find them. Runs as any user.
 */
final class FakeDaemon implements AutoCloseable {
    final StatePaths paths;
    final FakeVmm vmm;
    final FakeNetwork network;
    /** The guests whose sshd "answers", by VM name. */
    final java.util.Set<String> readyGuests = ConcurrentHashMap.newKeySet();
    private final Clock clock = Clock.systemUTC();
    Database db;
    VmService vms;
    VmPower power;
    Reconciler reconciler;
    VmHandleCache handles;
    VmLiveness liveness;
    Vmms vmms;
    VmLocks locks;
    VmTransitions transitions;
    /** The fake agents' listeners ({@link #startWithAgent}), closed with the daemon. */
    private final List<java.nio.channels.ServerSocketChannel> agents = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The restored guests the fake identity service re-identified, by VM name, in order. */
    final List<String> reidentified = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    FakeDaemon(Path home) {
        this.paths = StatePaths.forHome(home);
        this.vmm = new FakeVmm(paths.vmsDir().toAbsolutePath().normalize());
        // A tap is held while its VM's fake VMM runs, as a real VMM holds its tap.
        Predicate<String> held = tap -> vmm.running().keySet().stream().anyMatch(id -> InterfaceNames.tapFor(id).equals(tap));
        this.network = new FakeNetwork(held);
        try {
            Files.createDirectories(paths.vmsDir());
            writeImage();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        wire();
    }

    private void writeImage() throws IOException {
        Path dir = Files.createDirectories(paths.imageDir("debian-bookworm"));
        for (String f : List.of("vmlinuz", "initrd.img", "rootfs.ext4")) {
            Files.writeString(dir.resolve(f), "placeholder " + f);
        }
        ImageBuilder.writeManifest(dir, new ImageManifest("debian-bookworm", "imported", "unknown", null, null, null, Instant.now(), 0,
                List.of(new ImageManifest.FileEntry("vmlinuz", ImageManifest.ROLE_BZIMAGE, 20, "0"),
                        new ImageManifest.FileEntry("initrd.img", ImageManifest.ROLE_INITRD, 20, "0"),
                        new ImageManifest.FileEntry("rootfs.ext4", ImageManifest.ROLE_ROOTFS, 20, "0")),
                List.of(), List.of("fast")));
    }

    private void wire() {
        db = Database.open(paths.database());
        var store = db.vms();
        SecureRandom random = new SecureRandom();
        ImageService images = new ImageService(paths, paths.stateDir(), store, clock, random);
        vmms = Vmms.of(vmm, vmm);
        handles = new VmHandleCache();
        liveness = new VmLiveness(vmms, handles);
        transitions = new VmTransitions(store, clock, new VmDescriptors(db.homeId(), paths.vmsDir()));
        locks = new VmLocks();
        power = new VmPower(store, paths, images, vmms, network, locks, clock, handles, liveness, transitions,
                vm -> readyGuests.contains(vm.name()) ? GuestProbe.Readiness.AGENT_READY : GuestProbe.Readiness.NOT_YET,
                new Restores(new dev.banger.daemon.snapshot.SnapshotRestores(db.snapshots(), paths), (vm, guest, timeout) -> {
                    if (!guest.hostname().equals(vm.name())) {
                        throw new IllegalStateException("identity of " + guest.hostname() + " for VM " + vm.name());
                    }
                    reidentified.add(vm.name());
                }));
        vms = new VmService(store, paths, BangerConfig.DEFAULTS, 1 << 20, clock, random, locks, power, images, transitions);
        reconciler = new Reconciler(store, paths.vmsDir(), vms, power, liveness, handles, network, transitions);
    }

    /** A new daemon over the same database and host, as after kill -9 and a restart; it reconciles first. */
    Reconciler.Report restart() {
        db.close();
        wire();
        return reconciler.reconcile();
    }

    VmRecord create(String name) {
        return vms.create(new Params.VmCreate(name, null, null, null, null, null, null));
    }

    VmRecord get(String name) {
        return vms.get(name);
    }

    /** A running fake VM {@code name} whose guest agent (at {@code socket}) answers each stream with {@code handler}. */
    VmRecord startWithAgent(String name, Path socket, dev.banger.channel.OpenHandler handler) throws IOException {
        VmRecord vm = create(name);
        readyGuests.add(name);
        vm = power.start(vm, dev.banger.daemon.rpc.Call.NONE);
        java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
        agents.add(server);
        server.bind(java.net.UnixDomainSocketAddress.of(socket));
        Thread.ofVirtual().start(() -> {
            while (server.isOpen()) {
                try {
                    java.nio.channels.SocketChannel c = server.accept();
                    dev.banger.channel.Channel.guest(java.nio.channels.Channels.newInputStream(c), java.nio.channels.Channels.newOutputStream(c),
                            dev.banger.channel.ChannelOptions.defaults("fake-agent"), handler).start();
                } catch (IOException closed) {
                    return;
                }
            }
        });
        vmm.agentAt(vm.id(), socket);
        return vm;
    }

    @Override
    public void close() {
        for (java.nio.channels.ServerSocketChannel s : agents) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing a test's listener
            }
        }
        db.close();
    }
}
