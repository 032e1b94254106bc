package dev.banger.fcstub;

import static dev.banger.fcstub.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A stub without a guest on a socket in a fresh directory, a client for it, and the files a valid
 * configuration names (the way banger lays out a VM directory).
 */
final class StubHarness implements AutoCloseable {
    final Path dir;
    final Path sock;
    final FirecrackerStub stub;
    final ApiClient api;
    final Path kernel;
    final Path rootfs;
    final Path configDrive;
    final Path workDisk;
    final Path logFile;
    final Path metricsFile;
    final Path vsockPath;

    StubHarness(Path dir) throws IOException {
        this(dir, GuestAddress.fixed(InetAddress.getLoopbackAddress()));
    }

    StubHarness(Path dir, GuestAddress guestAddress) throws IOException {
        this.dir = dir;
        this.sock = dir.resolve("api.sock");
        this.kernel = Fixtures.vmlinux(dir);
        this.rootfs = Fixtures.file(dir, "root.qcow2");
        this.configDrive = Fixtures.file(dir, "config.img");
        this.workDisk = Fixtures.file(dir, "work.img");
        this.logFile = Files.createFile(dir.resolve("firecracker.log"));
        this.metricsFile = Files.createFile(dir.resolve("firecracker.metrics"));
        this.vsockPath = dir.resolve("vsock.sock");
        this.stub = FirecrackerStub.start(sock, "abc123def456", GuestMode.NONE, guestAddress);
        this.api = new ApiClient(sock);
    }

    /** banger's pre-boot sequence, every answer checked to be 204. Returns the paths in order. */
    List<String> configure() {
        expect204(api.put("/logger", json("{'log_path':'" + logFile + "','level':'Info','show_level':true,'show_log_origin':false}")));
        expect204(api.put("/metrics", json("{'metrics_path':'" + metricsFile + "'}")));
        expect204(api.put("/machine-config", json("{'vcpu_count':2,'mem_size_mib':512,'smt':false}")));
        expect204(api.put("/boot-source", json("{'kernel_image_path':'" + kernel + "','boot_args':'console=ttyS0 root=/dev/vda rw'}")));
        expect204(api.put("/drives/root", drive("root", rootfs, true, false)));
        expect204(api.put("/drives/config", drive("config", configDrive, false, true)));
        expect204(api.put("/drives/work", drive("work", workDisk, false, false)));
        expect204(api.put("/vsock", json("{'guest_cid':3,'uds_path':'" + vsockPath + "'}")));
        return List.of("/logger", "/metrics", "/machine-config", "/boot-source", "/drives/root", "/drives/config", "/drives/work", "/vsock");
    }

    void instanceStart() {
        expect204(api.put("/actions", json("{'action_type':'InstanceStart'}")));
    }

    static String drive(String id, Path file, boolean root, boolean readOnly) {
        return json("{'drive_id':'" + id + "','path_on_host':'" + file + "','is_root_device':" + root + ",'is_read_only':" + readOnly + "}");
    }

    static void expect204(ApiClient.Reply r) {
        assertThat(r.status()).as("status, fault %s", r.fault()).isEqualTo(204);
        assertThat(r.body()).isNull();
    }

    @Override
    public void close() {
        api.close();
        stub.close();
        try {
            assertThat(stub.awaitExit(Duration.ofSeconds(5))).isPresent();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
