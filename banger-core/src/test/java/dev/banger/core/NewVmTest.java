package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.api.VmRecord;
import dev.banger.api.VmRuntime;
import dev.banger.api.VmSpec;
import dev.banger.api.VmState;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class NewVmTest {
    private static final String ID = "a1b2c3d4e5f6";

    @Test
    void recordOfANewVm() {
        StatePaths paths = StatePaths.forHome(Path.of("/srv/bh"));
        VmSpec spec = new VmSpec("web", "debian-bookworm", 2, 1024, 0, 4096, "qemu");
        Instant now = Instant.parse("2025-01-02T03:04:05.123456789Z");
        VmRecord vm = NewVm.record(ID, spec, paths, "172.29.0.2", 7, now);

        assertThat(vm.id()).isEqualTo(ID);
        assertThat(vm.spec()).isSameAs(spec);
        assertThat(vm.name()).isEqualTo("web");
        assertThat(vm.createdAt()).isEqualTo(now);
        assertThat(vm.updatedAt()).isEqualTo(now);
        assertThat(vm.state()).isEqualTo(VmState.CREATING);

        String dir = "/srv/bh/vms/" + ID;
        VmRuntime r = vm.runtime();
        assertThat(r).isEqualTo(new VmRuntime(VmState.CREATING, "172.29.0.2", dir + "/api.sock", dir + "/vsock.sock", 7,
                dir + "/console.log", dir + "/metrics.json", "web.vm", dir, dir + "/root.qcow2", dir + "/work.img", null));
    }

    @Test
    void everyDerivedPathIsInsideTheVmDirectory() {
        StatePaths paths = StatePaths.forHome(Path.of("/home/u/.banger"));
        VmRecord vm = NewVm.record(ID, new VmSpec("db", "alpine", 1, 256, 0, 64, "qemu"), paths, null, 3, Instant.EPOCH);
        Path dir = paths.vmDir(ID);
        VmRuntime r = vm.runtime();
        assertThat(Path.of(r.vmDir())).isEqualTo(dir);
        for (String p : new String[] {r.apiSockPath(), r.vsockPath(), r.logPath(), r.metricsPath(), r.systemOverlay(), r.workDiskPath()}) {
            assertThat(Path.of(p).getParent()).as(p).isEqualTo(dir);
        }
        assertThat(r.guestIp()).isNull();
        assertThat(r.vsockCid()).isEqualTo(3);
    }

    @Test
    void dnsNameIsNameDotVm() {
        assertThat(NewVm.DNS_SUFFIX).isEqualTo(".vm");
        VmRecord vm = NewVm.record(ID, new VmSpec("brisk-otter-4f2a", "img", 1, 512, 0, 4096, "qemu"),
                StatePaths.systemDefault(), "10.0.0.2", 3, Instant.EPOCH);
        assertThat(vm.runtime().dnsName()).isEqualTo("brisk-otter-4f2a.vm");
    }
}
