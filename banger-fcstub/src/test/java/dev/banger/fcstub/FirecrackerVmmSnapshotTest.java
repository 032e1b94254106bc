package dev.banger.fcstub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.api.VmRuntime;
import dev.banger.api.VmSpec;
import dev.banger.api.VmState;
import dev.banger.core.BangerConfig;
import dev.banger.core.StatePaths;
import dev.banger.core.snapshot.SnapshotNeeds;
import dev.banger.core.vm.Accelerator;
import dev.banger.core.vm.KernelArgs;
import dev.banger.core.vm.VmmKind;
import dev.banger.daemon.vmm.Capability;
import dev.banger.daemon.vmm.FirecrackerVmm;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.host.vm.FirecrackerApi;
import dev.banger.host.vm.VmHandles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Firecracker driver's snapshot seam ({@link FirecrackerVmm}) against the strict stub run as its binary, without
 * a guest: what it sends to save and to restore, in which order, what it leaves in the snapshot's directory, and that
 * a failure leaves nothing behind. (RealQemuSnapshotTest does the same with a real guest under QEMU.)
 */
class FirecrackerVmmSnapshotTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;
    StatePaths paths;
    FirecrackerVmm vmm;
    Path kernel;
    final List<Long> pids = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        paths = StatePaths.forHome(Files.createDirectories(dir.resolve("home")));
        Path img = Files.createDirectories(paths.imageDir("debian"));
        kernel = Fixtures.vmlinux(img);
        vmm = new FirecrackerVmm(Accelerator.Mode.KVM, KernelArgs.Verbosity.QUIET, new BangerConfig.FirecrackerSettings(
                stubBinary().toString(), false, "jailer", 10000, 10000, dir.resolve("jail")), paths);
    }

    @AfterEach
    void tearDown() {
        pids.forEach(vmm::kill);
    }

    /** The stub as the firecracker program, with this test's class path, no guest. */
    private Path stubBinary() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin")).resolve("firecracker");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(bin, "#!/bin/sh\nexport " + Main.GUEST_ENV + "=none\nexec '" + java + "' -XX:TieredStopAtLevel=1 -cp '"
                + System.getProperty("java.class.path") + "' dev.banger.fcstub.Main \"$@\"\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    private VmRecord vm(String id) throws IOException {
        Path vmDir = Files.createDirectories(paths.vmDir(id));
        VmRuntime rt = new VmRuntime(VmState.RUNNING, "172.16.0.2", paths.apiSocket(id).toString(), paths.vsockSocket(id).toString(),
                3, paths.consoleLog(id).toString(), paths.metrics(id).toString(), id + ".vm", vmDir.toString(),
                paths.rootCow(id).toString(), paths.workDisk(id).toString(), null);
        return new VmRecord(id, new VmSpec("vm-" + id, "debian", 1, 256, 1024, 1024, "firecracker"), rt, Instant.now(), Instant.now());
    }

    private Vmm.BootPlan plan(VmRecord vm, Path root) throws IOException {
        return new Vmm.BootPlan(kernel, null, root, Fixtures.file(Path.of(vm.runtime().vmDir()), "config.img"),
                Fixtures.file(Path.of(vm.runtime().vmDir()), "work.img"), "lo", "02:fc:00:00:00:01");
    }

    private VmRecord running() throws IOException {
        VmRecord parent = vm("0123456789ab");
        byte[] disk = new byte[1 << 20];
        new Random(7).nextBytes(disk);
        Path root = Files.write(paths.rootCopy(parent.id()), disk);
        pids.add(vmm.launch(parent, plan(parent, root)));
        return parent;
    }

    private static List<String> sequence(VmRecord vm) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(RequestLog.besides(Path.of(vm.runtime().apiSockPath())))) {
            JsonNode r = ApiClient.JSON.readTree(line);
            out.add(r.get("method").asText() + " " + r.get("path").asText() + " " + r.get("status").asInt());
        }
        return out;
    }

    private static JsonNode lastBody(VmRecord vm, String path) throws IOException {
        JsonNode found = null;
        for (String line : Files.readAllLines(RequestLog.besides(Path.of(vm.runtime().apiSockPath())))) {
            JsonNode r = ApiClient.JSON.readTree(line);
            if (r.get("path").asText().equals(path)) {
                found = r.get("body");
            }
        }
        return found;
    }

    @Test
    void snapshotsAreSupportedAndNeedThisFirecrackersVersion() {
        assertThat(vmm.supports(Capability.SNAPSHOT).available()).isTrue();
        assertThat(vmm.supports(Capability.MOUNT).available()).isFalse();
        SnapshotNeeds needs = vmm.snapshotNeeds(new VmSpec("a", "debian", 2, 512, 1024, 1024, "firecracker"));
        assertThat(needs).isEqualTo(new SnapshotNeeds(VmmKind.FIRECRACKER, ApiContract.specVersion(), "firecracker", "kvm", 2, 512, "debian"));
    }

    @Test
    void aSaveAndARestoreSendExactlyThis() throws Exception {
        VmRecord parent = running();
        Path snap = Files.createDirectories(paths.snapshotDir("aaaaaaaaaaaa"));
        int booted = sequence(parent).size();
        assertThat(sequence(parent)).as("launch boots as it always did").containsExactly("PUT /logger 204", "PUT /metrics 204",
                "PUT /machine-config 204", "PUT /boot-source 204", "PUT /drives/rootfs 204", "PUT /drives/config 204",
                "PUT /drives/work 204", "PUT /network-interfaces/eth0 204", "PUT /vsock 204", "PUT /actions 204");

        Vmm.SavedState saved = vmm.saveState(parent, snap, 4 * GIB, TIMEOUT);
        assertThat(vmm.paused(parent, TIMEOUT)).as("the caller resumes").isTrue();
        assertThat(snap.resolve("root.img")).as("the root as the paused guest left it").hasSameBinaryContentAs(paths.rootCopy(parent.id()));
        assertThat(Files.size(snap.resolve("memory"))).as("the guest's memory").isEqualTo(256L << 20);
        assertThat(saved.bytes()).isEqualTo(Files.size(snap.resolve("memory")) + Files.size(snap.resolve("vmstate")));
        vmm.resume(parent, TIMEOUT);
        assertThat(vmm.paused(parent, TIMEOUT)).isFalse();
        vmm.resume(parent, TIMEOUT); // not paused: nothing sent
        assertThat(sequence(parent).subList(booted, sequence(parent).size())).containsExactly("PATCH /vm 204", "PUT /snapshot/create 204",
                "GET / 200", "GET / 200", "PATCH /vm 204", "GET / 200", "GET / 200");
        assertThat(lastBody(parent, "/snapshot/create")).isEqualTo(ApiClient.JSON.readTree(Fixtures.json("{'snapshot_type':'Full',"
                + "'snapshot_path':'" + snap.resolve("vmstate") + "','mem_file_path':'" + snap.resolve("memory") + "'}")));

        VmRecord child = vm("ba9876543210");
        List<String> warnings = new ArrayList<>();
        Path root = vmm.prepareRootFromSnapshot(child, snap, VmHandles.NONE, h -> { }, warnings::add);
        assertThat(root).isEqualTo(paths.rootCopy(child.id())).hasSameBinaryContentAs(snap.resolve("root.img"));
        assertThat(warnings).singleElement().asString().contains("full copy");
        pids.add(vmm.launchRestored(child, plan(child, root), snap, TIMEOUT));
        assertThat(sequence(child)).containsExactly("PUT /logger 204", "PUT /metrics 204", "PUT /snapshot/load 204",
                "PATCH /drives/rootfs 204", "PATCH /drives/config 204", "PATCH /drives/work 204", "PATCH /vm 204");
        JsonNode load = lastBody(child, "/snapshot/load");
        assertThat(load.get("snapshot_path").asText()).isEqualTo(snap.resolve("vmstate").toString());
        assertThat(load.at("/mem_backend/backend_path").asText()).isEqualTo(snap.resolve("memory").toString());
        assertThat(load.get("resume_vm").asBoolean()).isFalse();
        assertThat(load.at("/network_overrides/0/host_dev_name").asText()).isEqualTo("lo");
        assertThat(load.at("/vsock_override/uds_path").asText()).isEqualTo(child.runtime().vsockPath());
        try (FirecrackerApi api = FirecrackerApi.open(Path.of(child.runtime().apiSockPath()))) {
            assertThat(api.get("/").get("state").asText()).isEqualTo("Running");
            JsonNode config = api.get("/vm/config");
            assertThat(config.at("/drives/0/path_on_host").asText()).isEqualTo(root.toString());
            assertThat(config.at("/drives/2/path_on_host").asText()).isEqualTo(child.runtime().workDiskPath());
        }
        assertThat(vmm.find(child)).contains(pids.getLast());
    }

    @Test
    void aFailedSaveLeavesNoFileAndTheGuestPaused() throws Exception {
        VmRecord parent = running();
        Path snap = Files.createDirectories(paths.snapshotDir("aaaaaaaaaaaa"));
        assertThatThrownBy(() -> vmm.saveState(parent, snap, 100L << 20, TIMEOUT)).isInstanceOf(BangerException.class)
                .hasMessageContaining("256 MiB").hasMessageContaining("100 MiB");
        assertThat(snap).isEmptyDirectory();
        assertThat(vmm.paused(parent, TIMEOUT)).as("refused before pausing").isFalse();

        // the root copy fails after Firecracker wrote its files: they go too
        Files.createDirectory(snap.resolve("root.img"));
        assertThatThrownBy(() -> vmm.saveState(parent, snap, 4 * GIB, TIMEOUT)).isInstanceOf(BangerException.class)
                .hasMessageContaining("cannot copy");
        assertThat(snap).isEmptyDirectory();
        assertThat(vmm.paused(parent, TIMEOUT)).isTrue();
        vmm.resume(parent, TIMEOUT);
        assertThat(vmm.paused(parent, TIMEOUT)).isFalse();
    }

    @Test
    void aRestoreWhoseSnapshottedDrivesAreGoneSaysWhyAndLeavesNoProcess() throws Exception {
        VmRecord parent = running();
        Path snap = Files.createDirectories(paths.snapshotDir("aaaaaaaaaaaa"));
        vmm.saveState(parent, snap, 4 * GIB, TIMEOUT);
        vmm.kill(pids.removeFirst());
        Files.delete(paths.workDisk(parent.id()));

        VmRecord child = vm("ba9876543210");
        Path root = vmm.prepareRootFromSnapshot(child, snap, VmHandles.NONE, h -> { }, w -> { });
        assertThatThrownBy(() -> vmm.launchRestored(child, plan(child, root), snap, TIMEOUT)).isInstanceOf(BangerException.class)
                .hasMessageContaining("Error manipulating the backing file").hasMessageContaining(paths.workDisk(parent.id()).toString())
                .hasMessageContaining("without the jailer");
        assertThat(vmm.find(child)).isEmpty();
        assertThatThrownBy(() -> vmm.launchRestored(child, plan(child, root), dir, TIMEOUT))
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
                .hasMessageContaining("no vmstate");
    }
}
