package dev.banger.fcstub;

import static dev.banger.fcstub.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the contract lets through but Firecracker itself refuses. */
class FirecrackerChecksTest {
    @TempDir
    Path dir;
    StubHarness h;

    @BeforeEach
    void start() throws Exception {
        h = new StubHarness(dir);
    }

    @AfterEach
    void stop() throws Exception {
        h.close();
    }

    @Test
    void pathIdMustEqualBodyId() {
        ApiClient.Reply d = h.api.put("/drives/root", StubHarness.drive("rootfs", h.rootfs, true, false));
        assertThat(d.status()).isEqualTo(400);
        assertThat(d.fault()).isEqualTo("The id from the path [root] does not match the id from the body [rootfs]!");
        ApiClient.Reply n = h.api.put("/network-interfaces/eth0", json("{'iface_id':'eth1','host_dev_name':'lo'}"));
        assertThat(n.status()).isEqualTo(400);
        assertThat(n.fault()).contains("[eth0]").contains("[eth1]");
    }

    @Test
    void kernelMustBeAnX86Elf64() throws Exception {
        Path bz = Fixtures.bzImage(dir, "vmlinuz");
        ApiClient.Reply r = h.api.put("/boot-source", json("{'kernel_image_path':'" + bz + "'}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("not an ELF").contains("bzImage");

        Path arm = Files.write(dir.resolve("Image"), Fixtures.elf64Header(183));
        assertThat(h.api.put("/boot-source", json("{'kernel_image_path':'" + arm + "'}")).fault()).contains("not x86-64");

        byte[] elf32 = Fixtures.elf64Header(62);
        elf32[4] = 1;
        Path k32 = Files.write(dir.resolve("vmlinux32"), elf32);
        assertThat(h.api.put("/boot-source", json("{'kernel_image_path':'" + k32 + "'}")).fault()).contains("not a 64-bit ELF");

        StubHarness.expect204(h.api.put("/boot-source", json("{'kernel_image_path':'" + h.kernel + "'}")));
    }

    @Test
    void referencedFilesMustExist() {
        Path missing = dir.resolve("nope");
        assertThat(h.api.put("/boot-source", json("{'kernel_image_path':'" + missing + "'}")).fault()).contains(missing + " does not exist");
        assertThat(h.api.put("/boot-source", json("{'kernel_image_path':'" + h.kernel + "','initrd_path':'" + missing + "'}")).status())
                .isEqualTo(400);
        assertThat(h.api.put("/drives/root", StubHarness.drive("root", missing, true, false)).status()).isEqualTo(400);
        assertThat(h.api.put("/logger", json("{'log_path':'" + missing + "'}")).status()).isEqualTo(400);
        assertThat(h.api.put("/metrics", json("{'metrics_path':'" + missing + "'}")).status()).isEqualTo(400);
        assertThat(h.api.put("/drives/root", StubHarness.drive("root", dir, true, false)).fault()).contains("is a directory");
    }

    @Test
    void onlyOneRootDrive() {
        StubHarness.expect204(h.api.put("/drives/root", StubHarness.drive("root", h.rootfs, true, false)));
        ApiClient.Reply r = h.api.put("/drives/other", StubHarness.drive("other", h.workDisk, true, false));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("root block device already exists");
        // replacing the root drive itself is an update, not a second root
        StubHarness.expect204(h.api.put("/drives/root", StubHarness.drive("root", h.workDisk, true, false)));
    }

    @Test
    void vsockSocketMustNotExistAndItsDirectoryMust() throws Exception {
        Path taken = Files.createFile(dir.resolve("taken.sock"));
        ApiClient.Reply r = h.api.put("/vsock", json("{'guest_cid':3,'uds_path':'" + taken + "'}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("already exists");
        assertThat(h.api.put("/vsock", json("{'guest_cid':3,'uds_path':'" + dir.resolve("no/such/dir.sock") + "'}")).status())
                .isEqualTo(400);
        assertThat(h.api.put("/vsock", json("{'guest_cid':2,'uds_path':'" + dir.resolve("v.sock") + "'}")).fault())
                .contains("minimum");
    }

    @Test
    void vsockUpdateMovesTheSocket() {
        Path first = dir.resolve("v1.sock");
        Path second = dir.resolve("v2.sock");
        StubHarness.expect204(h.api.put("/vsock", json("{'guest_cid':3,'uds_path':'" + first + "'}")));
        StubHarness.expect204(h.api.put("/vsock", json("{'guest_cid':4,'uds_path':'" + second + "'}")));
        assertThat(first).doesNotExist();
        assertThat(second).exists();
    }

    @Test
    void networkInterfaceNeedsAnExistingDeviceAndAGoodMac() {
        StubHarness.expect204(h.api.put("/network-interfaces/eth0", json("{'iface_id':'eth0','host_dev_name':'lo','guest_mac':'06:00:ac:1d:00:05'}")));
        assertThat(h.api.put("/network-interfaces/eth1", json("{'iface_id':'eth1','host_dev_name':'fcstubnotap0'}")).fault())
                .contains("does not exist");
        assertThat(h.api.put("/network-interfaces/eth1", json("{'iface_id':'eth1','host_dev_name':'../../x'}")).fault())
                .contains("invalid host_dev_name");
        assertThat(h.api.put("/network-interfaces/eth1", json("{'iface_id':'eth1','host_dev_name':'lo','guest_mac':'06:00:ac:1d:00'}")).status())
                .isEqualTo(400);
        // lo is taken by eth0
        assertThat(h.api.put("/network-interfaces/eth1", json("{'iface_id':'eth1','host_dev_name':'lo'}")).fault())
                .contains("already used");
    }

    @Test
    void loggerAndMetricsOnlyOnce() {
        StubHarness.expect204(h.api.put("/logger", json("{'log_path':'" + h.logFile + "'}")));
        assertThat(h.api.put("/logger", json("{'log_path':'" + h.logFile + "'}")).fault()).contains("only once");
        StubHarness.expect204(h.api.put("/metrics", json("{'metrics_path':'" + h.metricsFile + "'}")));
        assertThat(h.api.put("/metrics", json("{'metrics_path':'" + h.metricsFile + "'}")).fault()).contains("only once");
    }

    @Test
    void machineConfigRules() {
        assertThat(h.api.put("/machine-config", json("{'vcpu_count':3,'mem_size_mib':512,'smt':true}")).fault()).contains("even");
        assertThat(h.api.put("/machine-config", json("{'vcpu_count':1,'mem_size_mib':0}")).fault()).contains("memory size");
        StubHarness.expect204(h.api.put("/machine-config", json("{'vcpu_count':3,'mem_size_mib':512,'smt':false}")));
    }

    @Test
    void idsFollowFirecrackersRule() {
        Path p = h.rootfs;
        assertThat(h.api.put("/drives/ro-ot", StubHarness.drive("ro-ot", p, true, false)).fault()).contains("Invalid ID");
    }
}
