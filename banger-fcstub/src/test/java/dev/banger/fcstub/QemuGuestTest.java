package dev.banger.fcstub;

import static dev.banger.fcstub.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GuestMode#QEMU} with a fake QEMU (fake-qemu.py) that speaks enough QMP: what the stub starts,
 * how it waits for it, how Ctrl-Alt-Del reaches it, and that it never outlives the stub.
 */
class QemuGuestTest {
    @TempDir
    Path dir;
    FakeQemu qemu;
    Path vm;
    Path img;
    FirecrackerStub stub;
    ApiClient api;

    @BeforeEach
    void start() throws Exception {
        qemu = new FakeQemu(dir.resolve("bin"));
        vm = Files.createDirectories(dir.resolve("vm"));
        img = Files.createDirectories(dir.resolve("img"));
        Path sock = vm.resolve("api.sock");
        stub = FirecrackerStub.start(sock, "vm1", l -> new QemuGuest("vm1", sock, l, qemu.binary.toString()),
                GuestAddress.fixed(InetAddress.getLoopbackAddress()), "fake QEMU");
        api = new ApiClient(sock);
    }

    @AfterEach
    void stop() throws Exception {
        api.close();
        stub.close();
        assertThat(stub.awaitExit(Duration.ofSeconds(10))).isPresent();
        assertThat(qemu.alive()).as("the fake QEMU outlived the stub").isFalse();
    }

    private void configure(boolean withBzImage) throws Exception {
        Path kernel = Fixtures.vmlinux(img);
        if (withBzImage) {
            Fixtures.bzImage(img, "vmlinuz");
        }
        Path initrd = Fixtures.file(img, "initrd.img");
        StubHarness.expect204(api.put("/machine-config", json("{'vcpu_count':2,'mem_size_mib':384}")));
        StubHarness.expect204(api.put("/boot-source", json("{'kernel_image_path':'" + kernel + "','initrd_path':'" + initrd
                + "','boot_args':'console=ttyS0'}")));
        StubHarness.expect204(api.put("/drives/config", StubHarness.drive("config", Fixtures.file(vm, "config.img"), false, true)));
        StubHarness.expect204(api.put("/drives/root", StubHarness.drive("root", Fixtures.file(vm, "root.img"), true, false)));
    }

    @Test
    void startsQemuWithTheConfigurationAndPowersItOff() throws Exception {
        configure(true);
        StubHarness.expect204(api.put("/actions", json("{'action_type':'InstanceStart'}")));
        assertThat(stub.guestRunning()).isTrue();
        assertThat(qemu.alive()).isTrue();
        assertThat(qemu.after("-kernel")).isEqualTo(img.resolve("vmlinuz").toString());
        assertThat(qemu.after("-initrd")).isEqualTo(img.resolve("initrd.img").toString());
        assertThat(qemu.after("-m")).isEqualTo("384M");
        assertThat(qemu.after("-smp")).isEqualTo("2");
        assertThat(qemu.after("-drive")).startsWith("id=d0,file=" + vm.resolve("root.img"));
        assertThat(qemu.after("-append")).startsWith("console=ttyS0 root=/dev/vda rw");
        // the QMP socket lies outside the VM directory, where bangerd would take QEMU for a stray
        Path qmp = Path.of(qemu.after("-qmp").substring("unix:".length()).split(",server=")[0]);
        assertThat(qmp.startsWith(vm)).isFalse();
        assertThat(qmp).exists();

        StubHarness.expect204(api.put("/actions", json("{'action_type':'SendCtrlAltDel'}")));
        assertThat(stub.awaitExit(Duration.ofSeconds(10))).as("the stub ends when its QEMU does").hasValue(0);
        assertThat(vm.resolve("api.sock")).doesNotExist();
        assertThat(qmp.getParent()).as("the scratch directory").doesNotExist();
    }

    @Test
    void withoutABzImageBesideTheVmlinuxStartIsRefused() throws Exception {
        configure(false);
        ApiClient.Reply r = api.put("/actions", json("{'action_type':'InstanceStart'}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("bzImage").contains(img.resolve("vmlinuz").toString());
        assertThat(api.get("/").body().get("state").asText()).isEqualTo("Not started");
        assertThat(qemu.pid()).as("QEMU was not started").isEmpty();
    }

    @Test
    void qemuFailingToStartIsA400WithItsWords() throws Exception {
        configure(true);
        qemu.failWith("qemu-system-x86_64: -netdev tap,id=n0,ifname=tap9: could not configure /dev/net/tun: Device or resource busy\n");
        ApiClient.Reply r = api.put("/actions", json("{'action_type':'InstanceStart'}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("exited with status 1").contains("Device or resource busy");
        assertThat(api.get("/").body().get("state").asText()).isEqualTo("Not started");
        assertThat(stub.awaitExit(Duration.ofMillis(200))).as("a failed start does not end the stub").isEmpty();
        // the cause removed, a second try starts it
        Files.delete(qemu.dir.resolve("fail"));
        StubHarness.expect204(api.put("/actions", json("{'action_type':'InstanceStart'}")));
        assertThat(stub.guestRunning()).isTrue();
    }

    @Test
    void closingTheStubKillsQemu() throws Exception {
        configure(true);
        StubHarness.expect204(api.put("/actions", json("{'action_type':'InstanceStart'}")));
        assertThat(qemu.alive()).isTrue();
        stub.close();
        assertThat(qemu.alive()).isFalse();
        List<String> argv = qemu.argv();
        assertThat(argv.getFirst()).endsWith(QemuArgv.BINARY);
    }
}
