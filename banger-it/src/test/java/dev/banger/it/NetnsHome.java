package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A BANGER_HOME whose daemon runs inside a network namespace this test creates, so the bridge, taps,
 * DNS server and VMs live there and never touch the host's network. CLI commands that reach VMs (ssh,
 * run) run inside the namespace too. close() kills whatever is left in the namespace and deletes it.
 */
final class NetnsHome implements AutoCloseable {
    final BangerHome home;
    final String netns;

    private NetnsHome(BangerHome home, String netns) {
        this.home = home;
        this.netns = netns;
    }

    /**
     * A namespace home whose default image is the shared test image (built once per run, before the
     * namespace exists: the build needs the host's network), with {@code configToml} (null: none).
     */
    static NetnsHome withSharedImage(String configToml) {
        SharedImage.dir();
        NetnsHome ns = create(configToml);
        SharedImage.importInto(ns.home, "debian-bookworm");
        return ns;
    }

    static NetnsHome create() {
        return create(null);
    }

    /**
     * As {@link #create()}, with {@code configToml} as the home's config.toml. Background templates are off unless
     * the config has a [snapshots] table: a template VM booting beside a test's own VMs would slow it and show up in
     * its host checks; the snapshot ITs turn them on where they test them.
     */
    static NetnsHome create(String configToml) {
        configToml = configToml != null && configToml.contains("[snapshots]") ? configToml
                : (configToml == null ? "" : configToml + "\n") + "[snapshots]\nauto_template = false\n";
        String ns = "bgrit" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
        BangerHome home = BangerHome.create();
        NetnsHome h = new NetnsHome(home, ns);
        h.sh(List.of("ip", "netns", "add", ns));
        h.sh(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"));
        if (configToml != null) {
            try {
                Files.writeString(home.configFile(), configToml);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        h.startDaemon(java.util.Map.of());
        return h;
    }

    /** Stops the daemon (VMs keep running) and starts it again, with {@code configToml} as its config. */
    void restartDaemon(String configToml) {
        configToml = configToml.contains("[snapshots]") ? configToml : configToml + "\n[snapshots]\nauto_template = false\n";
        try {
            Files.writeString(home.configFile(), configToml);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        restartDaemon(java.util.Map.of());
    }

    /**
     * Stops the daemon if one serves (VMs keep running) and starts one with {@code extraEnv} added to its
     * environment (BANGER_DAEMON_JAVA_OPTS, PATH, ...).
     */
    void restartDaemon(java.util.Map<String, String> extraEnv) {
        if (!home.daemons().isEmpty()) {
            home.ok("daemon", "stop");
        }
        awaitNoDaemon();
        startDaemon(extraEnv);
    }

    /** Waits until no daemon serves this home (after a stop, or a crash point); its socket may stay behind. */
    void awaitNoDaemon() {
        // No process, and nothing accepting on the socket any more (a dying process keeps it a moment longer).
        assertThat(BangerHome.await(Duration.ofSeconds(30), () -> home.daemons().isEmpty() && !socketAccepts())).as("daemon gone").isTrue();
    }

    /** kill -9 of the daemon, as a crash would. */
    void killDaemon() {
        List<ProcessHandle> killed = home.daemons();
        killed.forEach(ProcessHandle::destroyForcibly);
        // Gone means gone: a killed process loses its environment (daemons() stops listing it) before the
        // kernel closes its sockets, and a connection in that window would reach the dying daemon.
        assertThat(BangerHome.await(Duration.ofSeconds(30), () -> killed.stream().noneMatch(ProcessHandle::isAlive)))
                .as("killed daemon gone").isTrue();
        awaitNoDaemon();
    }

    private void startDaemon(java.util.Map<String, String> extraEnv) {
        try {
            ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", netns, "setsid", home.repoDir().resolve("bin/bangerd").toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(home.log().toFile()));
            pb.environment().put("BANGER_HOME", home.path().toString());
            pb.environment().putAll(extraEnv);
            pb.start();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        // The socket file may be a crashed daemon's: wait until a daemon answers on it.
        assertThat(BangerHome.await(Duration.ofSeconds(60), this::daemonAnswers)).as("daemon answering on " + home.socket()).isTrue();
    }

    private boolean socketAccepts() {
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            return ch.connect(java.net.UnixDomainSocketAddress.of(home.socket()));
        } catch (IOException e) {
            return false;
        }
    }

    private boolean daemonAnswers() {
        if (!Files.exists(home.socket())) {
            return false;
        }
        try (RpcConnection c = RpcConnection.open(home.socket())) {
            return c.call("daemon.status", null).has("result");
        } catch (RuntimeException | AssertionError e) {
            return false; // not yet listening, or a dying daemon's socket: keep polling
        }
    }

    /** bin/banger inside the namespace. */
    BangerHome.Result banger(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns, home.repoDir().resolve("bin/banger").toString()));
        command.addAll(List.of(args));
        return home.run(command, timeout);
    }

    BangerHome.Result ok(Duration timeout, String... args) {
        BangerHome.Result r = banger(timeout, args);
        assertThat(r.exitCode()).as("%s", r).isZero();
        return r;
    }

    /** A command inside the namespace (ip link, ...). */
    BangerHome.Result inNetns(String... argv) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        command.addAll(List.of(argv));
        return home.run(command, Duration.ofSeconds(30));
    }

    List<Long> pidsInNetns() {
        BangerHome.Result r = home.run(List.of("ip", "netns", "pids", netns), Duration.ofSeconds(10));
        return r.stdout().lines().filter(l -> !l.isBlank()).map(Long::parseLong).toList();
    }

    private void sh(List<String> argv) {
        BangerHome.Result r = home.run(argv, Duration.ofSeconds(30));
        assertThat(r.exitCode()).as("%s", r).isZero();
    }

    @Override
    public void close() {
        try {
            home.close();
        } finally {
            for (long pid : pidsInNetns()) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            BangerHome.await(Duration.ofSeconds(10), () -> pidsInNetns().isEmpty());
            home.run(List.of("ip", "netns", "del", netns), Duration.ofSeconds(30));
        }
    }

    static void sleep(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The entries of this home's snapshots/ directory (none when it does not exist). */
    List<String> snapshotDirectories() {
        Path dir = home.path().resolve("snapshots");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
