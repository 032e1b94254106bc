package dev.banger.fcstub;

import static dev.banger.fcstub.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stub as a program: its command line, and a whole run as the driver sees it. */
class MainTest {
    static final Path MODULE = Path.of(System.getProperty("user.dir"));

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private Main.Started start(Map<String, String> env, String... args) {
        return Main.start(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env);
    }

    @Test
    void versionNamesTheContractsVersion() {
        Main.Started s = start(Map.of(), "--version");
        assertThat(s.status()).isZero();
        assertThat(s.stub()).isNull();
        assertThat(out.toString(StandardCharsets.UTF_8).strip())
                .isEqualTo("Firecracker v" + ApiContract.shared().version() + " (banger strict stub)")
                .startsWith("Firecracker v1.");
    }

    @Test
    void unknownFlagExits1() {
        Main.Started s = start(Map.of(), "--api-sock", dir.resolve("api.sock").toString(), "--boot-timer");
        assertThat(s.status()).isEqualTo(1);
        assertThat(s.stub()).isNull();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--boot-timer");
        assertThat(dir.resolve("api.sock")).doesNotExist();
    }

    @Test
    void existingApiSocketIsRefused() throws Exception {
        Path sock = Files.createFile(dir.resolve("api.sock"));
        Main.Started s = start(Map.of(Main.GUEST_ENV, "none"), "--api-sock", sock.toString(), "--id", "vm1");
        assertThat(s.status()).isEqualTo(1);
        assertThat(s.stub()).isNull();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(sock.toString()).contains("already exists");
        assertThat(sock).isRegularFile(); // left alone: it may be another Firecracker's
    }

    @Test
    void badGuestModeIsRefused() {
        Main.Started s = start(Map.of(Main.GUEST_ENV, "kvm"), "--api-sock", dir.resolve("api.sock").toString());
        assertThat(s.status()).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(Main.GUEST_ENV);
    }

    @Test
    void guestModeComesFromTheEnvironment() throws Exception {
        Main.Started s = start(Map.of(Main.GUEST_ENV, "none"), "--id", "vm1", "--api-sock", dir.resolve("api.sock").toString());
        try (ApiClient api = new ApiClient(dir.resolve("api.sock"))) {
            assertThat(api.get("/").body().get("id").asText()).isEqualTo("vm1");
        } finally {
            s.stub().close();
        }
    }

    /**
     * The stub as its own process, launched the way the driver launches firecracker (stdout and stderr
     * appended to files, cwd the VM directory), driven through a boot and a Ctrl-Alt-Del.
     */
    @Test
    void wholeRunAsAProcess() throws Exception {
        Path sock = dir.resolve("api.sock");
        Path console = dir.resolve("console.log");
        Path vmmLog = dir.resolve("vmm.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "dev.banger.fcstub.Main", "--api-sock", sock.toString(), "--id", "vm1")
                .directory(dir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(vmmLog.toFile()));
        pb.environment().put(Main.GUEST_ENV, "none");
        Process p = pb.start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.exists(sock) && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(sock).as("API socket; stub stderr: %s", Files.readString(vmmLog)).exists();
            Path kernel = Fixtures.vmlinux(dir);
            Path root = Fixtures.file(dir, "root.img");
            try (ApiClient api = new ApiClient(sock)) {
                StubHarness.expect204(api.put("/machine-config", json("{'vcpu_count':1,'mem_size_mib':256}")));
                StubHarness.expect204(api.put("/boot-source", json("{'kernel_image_path':'" + kernel + "'}")));
                StubHarness.expect204(api.put("/drives/root", StubHarness.drive("root", root, true, false)));
                assertThat(api.put("/drives/root", "{\"drive_id\":\"root\"}").status()).isEqualTo(400);
                StubHarness.expect204(api.put("/actions", json("{'action_type':'InstanceStart'}")));
                assertThat(api.get("/").body().get("state").asText()).isEqualTo("Running");
                StubHarness.expect204(api.put("/actions", json("{'action_type':'SendCtrlAltDel'}")));
            }
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("the stub exits after the guest reset").isTrue();
            assertThat(p.exitValue()).as("stub stderr: %s", Files.readString(vmmLog)).isZero();
            assertThat(sock).doesNotExist();
            List<String> lines = Files.readAllLines(dir.resolve("fcstub-requests.jsonl"));
            assertThat(lines).hasSize(7);
            assertThat(ApiClient.JSON.readTree(lines.get(3)).get("status").asInt()).isEqualTo(400);
            assertThat(Files.readString(vmmLog)).contains("PUT /drives/root 400").contains("PUT /actions 204");
        } finally {
            p.destroyForcibly();
        }
    }

    /** The launcher script without a built jar says how to build it (a copy of the script, in a module without target/). */
    @Test
    void launcherWithoutJarSaysHowToBuild() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("module/bin"));
        Path script = Files.copy(MODULE.resolve("bin/firecracker"), bin.resolve("firecracker"));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Process p = new ProcessBuilder(script.toString(), "--version").redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(text).contains("build it: mvn -pl banger-fcstub -am package -DskipTests");
    }

    /** The launcher script with the packaged jar (present after mvn package; skipped on a clean tree). */
    @Test
    void launcherRunsThePackagedStub() throws Exception {
        assumeTrue(Files.isRegularFile(MODULE.resolve("target/banger-fcstub.jar")) && Files.isDirectory(MODULE.resolve("target/lib")),
                "skipped: target/banger-fcstub.jar is not built yet (mvn -pl banger-fcstub -am package -DskipTests builds it)");
        List<String> cmd = new ArrayList<>(List.of(MODULE.resolve("bin/firecracker").toString(), "--version"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(text).isZero();
        assertThat(text.strip()).isEqualTo(Main.versionLine());
    }
}
