package dev.banger.fcstub;

import static dev.banger.fcstub.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opt-in, as {@link RealQemuBootTest}: a banger image booted under QEMU by one stub process, in a network namespace
 * this test makes (two taps, one per VM), is paused and snapshotted through the API; its root is copied while it is
 * paused; a second stub process then loads the snapshot with the other tap and its own vsock socket, moves the root
 * drive to the copy, and resumes it. The restored guest must run: it answers the power button by powering off, which
 * ends its stub with status 0. Both stubs' recorded API sequences are asserted. Costs a boot under TCG (~30 s of two
 * cores and half a GiB), so it runs only with BANGER_FCSTUB_IMAGE set, e.g.
 * {@code BANGER_FCSTUB_IMAGE=banger-it/target/it-image mvn -pl banger-fcstub -am test -Dtest=RealQemuSnapshotTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("privileged")
class RealQemuSnapshotTest {
    private static final String BOOT_ARGS = "console=ttyS0 root=/dev/vda rw banger.init=/sbin/banger-init panic=1 reboot=k pci=off "
            + "i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd";

    @TempDir
    Path dir;
    String netns;
    final List<Process> stubs = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : stubs) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        if (netns != null) {
            run("ip", "netns", "delete", netns);
        }
    }

    @Test
    void aSnapshottedGuestResumesInAnotherStubWithItsOwnTapAndDisk() throws Exception {
        String image = System.getenv(RealQemuBootTest.IMAGE_ENV);
        assumeTrue(image != null && !image.isBlank(), "skipped: set " + RealQemuBootTest.IMAGE_ENV + " to a banger image directory");
        Path img = Path.of(image).toAbsolutePath();
        netns = "fcsnap-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        run("ip", "netns", "add", netns);
        for (String tap : List.of("fcsnapA", "fcsnapB")) {
            run("ip", "-n", netns, "tuntap", "add", "dev", tap, "mode", "tap");
            run("ip", "-n", netns, "link", "set", tap, "up");
        }

        Path parent = Files.createDirectories(dir.resolve("parent"));
        Path snap = Files.createDirectories(dir.resolve("snap"));
        Path parentRoot = parent.resolve("root.img");
        run("cp", "--sparse=always", img.resolve("rootfs.ext4").toString(), parentRoot.toString());
        Process p1 = stub(parent, "parent");
        try (ApiClient api = new ApiClient(parent.resolve("api.sock"))) {
            StubHarness.expect204(api.put("/machine-config", json("{'vcpu_count':1,'mem_size_mib':512,'smt':false}")));
            StubHarness.expect204(api.put("/boot-source", json("{'kernel_image_path':'" + img.resolve("vmlinux") + "','initrd_path':'"
                    + img.resolve("initrd.img") + "','boot_args':'" + BOOT_ARGS + "'}")));
            StubHarness.expect204(api.put("/drives/rootfs", StubHarness.drive("rootfs", parentRoot, true, false)));
            StubHarness.expect204(api.put("/network-interfaces/eth0", json("{'iface_id':'eth0','host_dev_name':'fcsnapA',"
                    + "'guest_mac':'06:00:ac:10:00:02'}")));
            StubHarness.expect204(api.put("/vsock", json("{'guest_cid':3,'uds_path':'" + parent.resolve("vsock.sock") + "'}")));
            StubHarness.expect204(api.put("/actions", json("{'action_type':'InstanceStart'}")));
            waitFor(() -> Files.readString(parent.resolve("console.log")).contains("banger-init: ready") || !p1.isAlive(),
                    Duration.ofSeconds(240));
            assertThat(Files.readString(parent.resolve("console.log"))).as("parent console; stub: %s", log(parent))
                    .contains("banger-init: ready");

            StubHarness.expect204(api.patch("/vm", json("{'state':'Paused'}")));
            StubHarness.expect204(api.put("/snapshot/create", json("{'snapshot_type':'Full','snapshot_path':'" + snap.resolve("vmstate")
                    + "','mem_file_path':'" + snap.resolve("memory") + "'}")));
            // the root as the paused guest left it: what banger's driver copies into the snapshot
            run("cp", "--sparse=always", parentRoot.toString(), snap.resolve("root.img").toString());
            assertThat(api.get("/").body().get("state").asText()).isEqualTo("Paused");
        }
        p1.destroy(); // the snapshotted VM ends here; its root file stays, as the load opens it before the PATCH
        assertThat(p1.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(sequence(parent)).containsExactly("PUT /machine-config 204", "PUT /boot-source 204", "PUT /drives/rootfs 204",
                "PUT /network-interfaces/eth0 204", "PUT /vsock 204", "PUT /actions 204", "PATCH /vm 204", "PUT /snapshot/create 204",
                "GET / 200");
        long stateBytes = Files.size(snap.resolve("vmstate"));
        assertThat(stateBytes).as("QEMU's stream of a booted guest").isGreaterThan(16L << 20);

        Path child = Files.createDirectories(dir.resolve("child"));
        Path childRoot = child.resolve("root.img");
        run("cp", "--sparse=always", snap.resolve("root.img").toString(), childRoot.toString());
        Process p2 = stub(child, "child");
        try (ApiClient api = new ApiClient(child.resolve("api.sock"))) {
            StubHarness.expect204(api.put("/snapshot/load", json("{'snapshot_path':'" + snap.resolve("vmstate") + "','mem_backend':"
                    + "{'backend_type':'File','backend_path':'" + snap.resolve("memory") + "'},'resume_vm':false,"
                    + "'network_overrides':[{'iface_id':'eth0','host_dev_name':'fcsnapB'}],"
                    + "'vsock_override':{'uds_path':'" + child.resolve("vsock.sock") + "'}}")));
            StubHarness.expect204(api.patch("/drives/rootfs", json("{'drive_id':'rootfs','path_on_host':'" + childRoot + "'}")));
            long consoleBefore = Files.size(child.resolve("console.log"));
            StubHarness.expect204(api.patch("/vm", json("{'state':'Resumed'}")));
            assertThat(api.get("/").body().get("state").asText()).isEqualTo("Running");
            List<String> qemu = qemuArgv(p2);
            assertThat(qemu).as("the restored QEMU").contains("-incoming");
            assertThat(String.join(" ", qemu)).contains("ifname=fcsnapB,").contains("file=" + childRoot + ",")
                    .doesNotContain("fcsnapA").doesNotContain(parentRoot.toString());
            // the restored guest runs: it answers the power button (an event: pressed again until it is heard)
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (p2.isAlive() && System.nanoTime() < deadline) {
                try {
                    api.put("/actions", json("{'action_type':'SendCtrlAltDel'}"));
                } catch (RuntimeException e) {
                    // the stub went away between the check and the request
                }
                p2.waitFor(3, TimeUnit.SECONDS);
            }
            assertThat(p2.isAlive()).as("the restored guest powered off; stub: %s", log(child)).isFalse();
            assertThat(p2.exitValue()).as("stub: %s", log(child)).isZero();
            assertThat(Files.size(child.resolve("console.log"))).as("the guest wrote to its console after the resume")
                    .isGreaterThan(consoleBefore);
        }
        assertThat(sequence(child)).startsWith("PUT /snapshot/load 204", "PATCH /drives/rootfs 204", "PATCH /vm 204", "GET / 200",
                "PUT /actions 204");
    }

    /** A stub process in the test's network namespace, console and stderr in its directory. */
    private Process stub(Path vm, String id) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", netns,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.banger.fcstub.Main", "--api-sock", vm.resolve("api.sock").toString(),
                "--id", id)
                .directory(vm.toFile())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(vm.resolve("console.log").toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(vm.resolve("vmm.log").toFile()));
        pb.environment().remove(Main.GUEST_ENV);
        Process p = pb.start();
        stubs.add(p);
        try {
            waitFor(() -> Files.exists(vm.resolve("api.sock")) || !p.isAlive(), Duration.ofSeconds(60));
        } catch (Exception e) {
            throw new IOException(e);
        }
        assertThat(p.isAlive()).as("stub %s: %s", id, log(vm)).isTrue();
        return p;
    }

    /** The argv of the QEMU a stub started (its only descendant running qemu-system). */
    private static List<String> qemuArgv(Process stub) {
        return stub.descendants().map(ProcessHandle::info).filter(i -> i.command().map(c -> c.contains("qemu-system")).orElse(false))
                .findFirst().flatMap(ProcessHandle.Info::arguments).map(List::of).orElse(List.of());
    }

    private static List<String> sequence(Path vm) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(vm.resolve(RequestLog.FILE_NAME))) {
            JsonNode r = ApiClient.JSON.readTree(line);
            out.add(r.get("method").asText() + " " + r.get("path").asText() + " " + r.get("status").asInt());
        }
        return out;
    }

    private static String log(Path vm) {
        try {
            return Files.readString(vm.resolve("vmm.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("%s: %s", String.join(" ", argv), out).isZero();
    }

    private static void waitFor(RealQemuBootTest.Check c, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (!c.ok() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
    }
}
