package dev.banger.host.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.vm.QemuCommand;
import dev.banger.host.proc.DetachedProcess;
import dev.banger.host.proc.GracefulStop;
import dev.banger.host.proc.ProcessTable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** QemuProcess against {@link FakeQemu}: runs anywhere, QEMU or not. The real QEMU is in QemuBootTest. */
@Timeout(60)
class QemuProcessTest {
    @TempDir
    Path dir;

    private final List<Long> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        started.forEach(ProcessTable::kill);
    }

    private Path qmp() {
        return dir.resolve("api.sock");
    }

    /** argv that shows up in /proc as "qemu-system-fake ... -qmp unix:SOCKET,server=on,wait=off ...". */
    private List<String> fakeArgv(String... extra) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classes = Path.of(FakeQemu.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        List<String> argv = new ArrayList<>(List.of("bash", "-c", "exec -a \"$0\" \"$@\"", "qemu-system-fake",
                java, "-Xmx32m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classes, FakeQemu.class.getName(),
                "-qmp", QemuCommand.qmpArgument(qmp())));
        argv.addAll(List.of(extra));
        return argv;
    }

    private DetachedProcess.Launched launch(List<String> argv) {
        DetachedProcess.Launched l = QemuProcess.launch(argv, dir.resolve("qemu.log"));
        started.add(l.pid());
        return l;
    }

    @Test
    void launchedDetachedFoundByItsQmpSocketAndPoweredDown() throws Exception {
        Path held = dir.resolve("held-open");
        try (FileChannel _ = FileChannel.open(held, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            DetachedProcess.Launched l = launch(fakeArgv("-fake-powerdown", "obey"));
            l.awaitSocket(qmp(), Duration.ofSeconds(20));
            long pid = l.pid();

            // setsid exec'd in place: the pid is the program's, and it leads its own session.
            assertThat(ProcessTable.cmdline(pid).orElseThrow().getFirst()).isEqualTo("qemu-system-fake");
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            assertThat(Long.parseLong(f[3])).as("session id").isEqualTo(pid);
            assertThat(Long.parseLong(f[3])).isNotEqualTo(sessionOf(ProcessHandle.current().pid()));
            // stdin /dev/null, stdout and stderr the log file (appended), nothing of ours inherited.
            Path fd = Path.of("/proc/" + pid + "/fd");
            assertThat(Files.readSymbolicLink(fd.resolve("0"))).isEqualTo(Path.of("/dev/null"));
            assertThat(Files.readSymbolicLink(fd.resolve("1"))).isEqualTo(dir.resolve("qemu.log"));
            assertThat(Files.readSymbolicLink(fd.resolve("2"))).isEqualTo(dir.resolve("qemu.log"));
            try (var links = Files.list(fd)) {
                assertThat(links.map(QemuProcessTest::target)).doesNotContain(held);
            }
            String log = Files.readString(dir.resolve("qemu.log"));
            assertThat(log).startsWith("=== banger: starting QEMU at ").contains("fake qemu started").contains("fake qemu stderr");

            assertThat(QemuProcess.findByQmpSocket(qmp())).hasValue(pid);
            assertThat(QemuProcess.findByQmpSocket(dir.resolve("api.sock2"))).isEmpty();
            assertThat(ProcessTable.isAlive(pid)).isTrue();
            assertThat(ProcessTable.rssKib(pid)).isPresent();

            GracefulStop.Stopped s = QemuProcess.stop(pid, qmp(), Duration.ofSeconds(15));
            assertThat(s.ending()).isEqualTo(GracefulStop.Ending.POWERED_DOWN);
            assertThat(s.took()).isLessThan(Duration.ofSeconds(15));
            assertThat(ProcessTable.isAlive(pid)).isFalse();
            assertThat(l.awaitExit(Duration.ofSeconds(5))).hasValue(0);
            assertThat(QemuProcess.findByQmpSocket(qmp())).isEmpty();
            assertThat(Files.readString(dir.resolve("qemu.log"))).contains("exiting after system_powerdown");
        }
    }

    @Test
    void aGuestThatIgnoresThePowerButtonIsKilledAfterTheGrace() throws Exception {
        DetachedProcess.Launched l = launch(fakeArgv("-fake-powerdown", "ignore"));
        l.awaitSocket(qmp(), Duration.ofSeconds(20));
        GracefulStop.Stopped s = QemuProcess.stop(l.pid(), qmp(), Duration.ofSeconds(1));
        assertThat(s.ending()).isEqualTo(GracefulStop.Ending.KILLED);
        assertThat(s.detail()).contains("did not power off within 1 s");
        assertThat(s.took()).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(12));
        assertThat(ProcessTable.isAlive(l.pid())).isFalse();
        assertThat(l.awaitExit(Duration.ofSeconds(5))).hasValue(137); // 128 + SIGKILL
    }

    @Test
    void withoutQmpItIsKilledAtOnce() throws Exception {
        DetachedProcess.Launched l = launch(fakeArgv("-fake-qmp", "none"));
        awaitLog("fake qemu started");
        assertThat(QemuProcess.findByQmpSocket(qmp())).hasValue(l.pid());
        GracefulStop.Stopped s = QemuProcess.stop(l.pid(), qmp(), Duration.ofSeconds(30));
        assertThat(s.ending()).isEqualTo(GracefulStop.Ending.KILLED);
        assertThat(s.detail()).startsWith("the power button failed (QMP socket " + qmp() + " does not exist");
        assertThat(s.took()).isLessThan(Duration.ofSeconds(12));
    }

    @Test
    void aForeignProcessIsNeverSignalled() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            GracefulStop.Stopped s = QemuProcess.stop(sleeper.pid(), qmp(), Duration.ofSeconds(5));
            assertThat(s.ending()).isEqualTo(GracefulStop.Ending.ALREADY_GONE);
            assertThat(s.detail()).contains("is no longer this VM's VMM").contains("left alone");
            assertThat(sleeper.isAlive()).isTrue();
        } finally {
            sleeper.destroyForcibly().waitFor();
        }
        assertThat(QemuProcess.stop(sleeper.pid(), qmp(), Duration.ofSeconds(5)).ending()).isEqualTo(GracefulStop.Ending.ALREADY_GONE);
        assertThat(ProcessTable.isAlive(sleeper.pid())).isFalse();
    }

    @Test
    void onExitCompletesWhenTheProcessEnds() throws Exception {
        DetachedProcess.Launched l = launch(List.of("sleep", "0.5"));
        var exited = ProcessTable.onExit(l.pid());
        assertThat(exited).isNotDone();
        exited.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(ProcessTable.isAlive(l.pid())).isFalse();
        assertThat(ProcessTable.onExit(l.pid()).get(5, java.util.concurrent.TimeUnit.SECONDS)).isNull();
    }

    @Test
    void aMissingBinaryIsNamedWithThePackage() {
        assertThatThrownBy(() -> QemuProcess.launch(List.of("qemu-system-none-such"), dir.resolve("qemu.log")))
                .isInstanceOf(BangerException.class)
                .hasMessage("qemu-system-none-such is not installed (or not on PATH): install Debian's qemu-system-x86 package")
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.MISSING_DEPENDENCY));
    }

    @Test
    void anEarlyExitIsReportedWithItsLastOutput() {
        DetachedProcess.Launched l = launch(List.of("bash", "-c", "echo 'qemu-system-x86_64: Failed to get \"write\" lock' >&2; exit 1"));
        assertThatThrownBy(() -> l.awaitSocket(qmp(), Duration.ofSeconds(20)))
                .isInstanceOf(BangerException.class)
                .hasMessageContaining("QEMU exited with status 1 before it listened on " + qmp())
                .hasMessageContaining("Failed to get \"write\" lock");
    }

    @Test
    void aSilentProcessTimesOut() {
        DetachedProcess.Launched l = launch(List.of("sleep", "30"));
        assertThatThrownBy(() -> l.awaitSocket(qmp(), Duration.ofMillis(300)))
                .isInstanceOf(BangerException.class).hasMessageContaining("did not listen on " + qmp());
        assertThat(ProcessTable.kill(l.pid())).isTrue();
        assertThat(l.awaitExit(Duration.ofSeconds(5))).isPresent();
    }

    @Test
    void theLogIsAppendedAcrossLaunches() throws Exception {
        Files.writeString(dir.resolve("qemu.log"), "earlier boot\n");
        DetachedProcess.Launched l = launch(List.of("bash", "-c", "echo second"));
        assertThat(l.awaitExit(Duration.ofSeconds(10))).hasValue(0);
        assertThat(Files.readString(dir.resolve("qemu.log"))).startsWith("earlier boot\n=== banger: starting QEMU at ").endsWith("second\n");
    }

    @Test
    void tailKeepsTheLastLines() throws IOException {
        Path log = dir.resolve("t.log");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            sb.append("line ").append(i).append('\n');
        }
        Files.writeString(log, sb);
        assertThat(ProcessTable.tail(log, 3)).containsExactly("line 4997", "line 4998", "line 4999");
        assertThat(ProcessTable.tail(dir.resolve("missing"), 3).getFirst()).contains("unreadable");
    }

    private void awaitLog(String text) throws Exception {
        for (int i = 0; i < 400; i++) {
            Path log = dir.resolve("qemu.log");
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("log never showed " + text);
    }

    private static long sessionOf(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3]);
    }

    private static Path target(Path link) {
        try {
            return Files.readSymbolicLink(link);
        } catch (IOException e) {
            return link;
        }
    }
}
