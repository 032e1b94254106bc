package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Host directories mounted into real QEMU VMs (virtiofs) in a test-made network namespace: the host and the guest see
 * each other's files, the guest's root writes as the directory's user (never host root, setuid included), {@code :ro}
 * holds, a mount survives stop and start and a daemon killed with -9, a member of the socket group cannot mount a
 * directory they do not own, and after delete no virtiofsd and no bind mount remain. Two boots in all.
 *
 * <p>The test makes its own unprivileged user and socket group (removed afterwards), as ImageImportPrivilegeIT does.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class MountIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(2);
    private final String suffix = HexFormat.of().toHexDigits((int) (System.nanoTime() & 0xffffff)).substring(2);
    private final String group = "bgmg" + suffix;
    private final String user = "bgmu" + suffix;
    private NetnsHome ns;
    private int uid;
    private Path shared;
    private Path readOnly;
    private Path rootOwned;

    @BeforeAll
    void start() throws IOException {
        root(List.of("groupadd", group));
        root(List.of("useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
                "--user-group", "--groups", group, user));
        uid = Integer.parseInt(run(List.of("id", "-u", user)).stdout().strip());
        ns = NetnsHome.withSharedImage("[daemon]\nsocket_group = \"" + group + "\"\n");
        Path home = ns.home.path();
        // virtiofsd runs as the mount's user, and the member reaches the socket: the home becomes traversable.
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(home.resolve("run"), PosixFilePermissions.fromString("rwx--x--x"));
        shared = Files.createDirectory(home.resolve("shared"));
        Files.writeString(shared.resolve("hello"), "from-host\n");
        readOnly = Files.createDirectory(home.resolve("readonly"));
        Files.writeString(readOnly.resolve("kept"), "untouched\n");
        root(List.of("chown", "-R", user + ":" + user, shared.toString(), readOnly.toString()));
        rootOwned = Files.createDirectory(home.resolve("rootowned"));
        Files.setPosixFilePermissions(rootOwned, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterAll
    void cleanUp() {
        try {
            if (ns != null) {
                ns.close();
            }
        } finally {
            run(List.of("userdel", user));
            run(List.of("groupdel", user));
            run(List.of("groupdel", group));
        }
    }

    private String exec(String vm, String script) {
        return ns.ok(CLI, "vm", "exec", vm, "--", "sh", "-c", script).stdout().strip();
    }

    @Test
    @Order(1)
    void theHostAndTheGuestShareFilesAndGuestRootIsTheDirectorysUser() throws IOException {
        BangerHome.Result run = ns.ok(BOOT, "vm", "run", "--cold", "--name", "m1", "--mount", shared + ":/mnt/shared",
                "--mount", readOnly + ":/mnt/ro:ro", "--", "cat", "/mnt/shared/hello");
        assertThat(run.stdout()).as("the guest reads what the host wrote, right after boot").contains("from-host");
        assertThat(ns.ok(CLI, "vm", "show", "m1").stdout()).contains(shared + " -> /mnt/shared (rw").contains(readOnly + " -> /mnt/ro (ro");

        exec("m1", "echo from-guest > /mnt/shared/written && cp /bin/true /mnt/shared/suid && chmod 4755 /mnt/shared/suid && sync");
        assertThat(Files.readString(shared.resolve("written"))).isEqualTo("from-guest\n");
        assertThat(Files.getAttribute(shared.resolve("written"), "unix:uid")).as("a file guest root wrote is the user's").isEqualTo(uid);
        int suidMode = (Integer) Files.getAttribute(shared.resolve("suid"), "unix:mode", LinkOption.NOFOLLOW_LINKS);
        int suidOwner = (Integer) Files.getAttribute(shared.resolve("suid"), "unix:uid", LinkOption.NOFOLLOW_LINKS);
        assertThat(suidOwner).as("guest root's setuid file is not root's on the host").isEqualTo(uid).isNotZero();
        assertThat(suidMode & 04000).as("(its setuid bit, if kept, is the user's: mode %o)", suidMode).isIn(0, 04000);

        BangerHome.Result roWrite = ns.banger(CLI, "vm", "exec", "m1", "--", "sh", "-c", "echo x > /mnt/ro/new");
        assertThat(roWrite.exitCode()).as(":ro refuses writes in the guest: %s", roWrite).isNotZero();
        assertThat(exec("m1", "cat /mnt/ro/kept")).isEqualTo("untouched");
        assertThat(Files.exists(readOnly.resolve("new"))).isFalse();

        assertThat(virtiofsd()).as("virtiofsd per mount, as the user").isNotEmpty()
                .allSatisfy(pid -> assertThat(processUid(pid)).isEqualTo(uid));

        BangerHome.Result snap = ns.banger(CLI, "vm", "snapshot", "m1");
        assertThat(snap.exitCode()).isNotZero();
        assertThat(snap.stderr()).contains("host directory mounts").contains("cannot be snapshotted");
        BangerHome.Result fork = ns.banger(CLI, "vm", "fork", "m1");
        assertThat(fork.exitCode()).isNotZero();
        assertThat(fork.stderr()).contains("cannot be forked");
    }

    @Test
    @Order(2)
    void theMountSurvivesStopAndStartAndLeavesNothingWhileStopped() {
        ns.ok(CLI, "vm", "stop", "m1");
        assertThat(BangerHome.await(Duration.ofSeconds(20), () -> virtiofsd().isEmpty())).as("no virtiofsd once stopped").isTrue();
        assertThat(daemonMounts()).as("no bind mount once stopped").isEmpty();
        ns.ok(BOOT, "vm", "start", "m1");
        assertThat(exec("m1", "cat /mnt/shared/written")).isEqualTo("from-guest");
        assertThat(exec("m1", "cat /mnt/ro/kept")).isEqualTo("untouched");
    }

    @Test
    @Order(3)
    void aDaemonKilledWithMinus9LeavesTheMountedVmRunningAndALaterDeleteLeavesNothing() throws IOException {
        ns.killDaemon();
        Files.writeString(shared.resolve("after-kill"), "still-shared\n");
        assertThat(exec("m1", "cat /mnt/shared/after-kill")).as("the next command (a new daemon) finds the VM and its mount")
                .isEqualTo("still-shared");
        assertThat(virtiofsd()).isNotEmpty();
        ns.ok(CLI, "vm", "delete", "--force", "m1");
        assertThat(BangerHome.await(Duration.ofSeconds(20), () -> virtiofsd().isEmpty())).as("no virtiofsd after delete").isTrue();
        assertThat(daemonMounts()).as("no bind mount after delete").isEmpty();
        assertThat(ns.home.path().resolve("run/mounts").toFile().list()).as("no mount directories").isNullOrEmpty();
        assertThat(Files.list(Path.of("/run/virtiofsd")).filter(p -> p.toString().contains(ns.home.path().getFileName().toString())).toList())
                .as("no virtiofsd lock file").isEmpty();
    }

    @Test
    @Order(4)
    void aMemberMountsOnlyWhatTheyOwnAndTheRulesAreNamed() {
        BangerHome.Result refused = asMember("vm", "create", "--name", "m2", "--mount", rootOwned + ":/mnt/x");
        assertThat(refused.exitCode()).as("%s", refused).isNotZero();
        assertThat(refused.stderr()).contains("(uid " + uid + ") do not own " + rootOwned).contains("[mounts] allowed");
        assertThat(ns.banger(CLI, "vm", "show", "m2").exitCode()).as("nothing half-made").isNotZero();
        BangerHome.Result etc = asMember("vm", "create", "--name", "m2", "--mount", "/etc:/mnt/etc:ro");
        assertThat(etc.exitCode()).isNotZero();
        assertThat(etc.stderr()).contains("do not own /etc");

        // Their own directory: the VM records them as the identity guest root acts as.
        asMemberOk("vm", "create", "--name", "m3", "--mount", shared + ":/mnt/shared");
        assertThat(ns.ok(CLI, "vm", "show", "m3", "--json").json().at("/mounts/0/uid").asInt()).isEqualTo(uid);
        ns.ok(CLI, "vm", "delete", "m3");

        BangerHome.Result firecracker = ns.banger(CLI, "vm", "create", "--name", "m4", "--vmm", "firecracker", "--mount", shared + ":/x");
        assertThat(firecracker.exitCode()).isNotZero();
        assertThat(firecracker.stderr()).contains("Firecracker has no shared filesystem").contains("vm cp");
        List<String> many = new ArrayList<>(List.of("vm", "create", "--name", "m5"));
        for (int i = 0; i < 19; i++) {
            many.addAll(List.of("--mount", shared + ":/mnt/m" + i));
        }
        BangerHome.Result tooMany = ns.banger(CLI, many.toArray(String[]::new));
        assertThat(tooMany.exitCode()).isNotZero();
        assertThat(tooMany.stderr()).contains("at most 18");
        BangerHome.Result from = ns.banger(CLI, "vm", "create", "--name", "m6", "--from", "nosuch", "--mount", shared + ":/x");
        assertThat(from.exitCode()).isNotZero();
        assertThat(from.stderr()).contains("cannot take --mount");
        for (String vm : List.of("m2", "m4", "m5", "m6")) {
            assertThat(ns.banger(CLI, "vm", "show", vm).exitCode()).as("no %s", vm).isNotZero();
        }
    }

    // ---- helpers

    /** The virtiofsd processes serving this home's mounts. */
    private List<Long> virtiofsd() {
        String marker = "--socket-path=" + ns.home.path().resolve("run/mounts");
        return ProcessHandle.allProcesses().filter(p -> cmdline(p.pid()).stream().anyMatch(a -> a.startsWith(marker)))
                .map(ProcessHandle::pid).toList();
    }

    private static List<String> cmdline(long pid) {
        try {
            String raw = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), java.nio.charset.StandardCharsets.UTF_8);
            return raw.isEmpty() ? List.of() : List.of(raw.split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    private static int processUid(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("Uid:"))
                    .map(l -> Integer.parseInt(l.split("\\s+")[1])).findFirst().orElse(-1);
        } catch (IOException e) {
            return -1;
        }
    }

    /** Mounts under this home's run/mounts in the serving daemon's mount namespace (ip netns exec gives it its own). */
    private List<String> daemonMounts() {
        List<String> out = new ArrayList<>();
        for (ProcessHandle d : ns.home.daemons()) {
            try {
                Files.readAllLines(Path.of("/proc/" + d.pid() + "/mountinfo")).stream()
                        .filter(l -> l.contains(ns.home.path().resolve("run/mounts").toString())).forEach(out::add);
            } catch (IOException e) {
                // gone meanwhile
            }
        }
        return out;
    }

    private BangerHome.Result asMember(String... args) {
        List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--",
                ns.home.repoDir().resolve("bin/banger").toString()));
        command.addAll(List.of(args));
        return ns.home.run(command, CLI);
    }

    private void asMemberOk(String... args) {
        BangerHome.Result r = asMember(args);
        assertThat(r.exitCode()).as("%s", r).isZero();
    }

    private BangerHome.Result run(List<String> argv) {
        if (ns != null) {
            return ns.home.run(argv, Duration.ofSeconds(60));
        }
        try { // before the home exists (the user and group come first)
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            p.waitFor(60, TimeUnit.SECONDS);
            return new BangerHome.Result(argv, p.exitValue(), out, "", Duration.ZERO);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private void root(List<String> argv) {
        BangerHome.Result r = run(argv);
        assertThat(r.exitCode()).as("%s", r).isZero();
    }
}
