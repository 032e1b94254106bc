package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.VmRecord;
import dev.banger.api.VmSpec;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class VmDescriptorTest {
    private static final String HOME = "0123456789abcdef0123456789abcdef";
    private final StatePaths paths = StatePaths.forHome(Path.of("/var/tmp/bh"));
    private final VmRecord vm = NewVm.record("00000000abcd", new VmSpec("demo", "debian-bookworm", 1, 512, 0, 4096, "qemu"), paths,
            "172.29.0.2", 3, Instant.parse("2026-12-01T10:00:00Z"));

    private VmDescriptor parse(String json) {
        return VmDescriptor.parse(json, paths.vmsDir(), paths.vmDir(vm.id()));
    }

    @Test
    void roundTripsTheRecordAndTheHome() {
        VmDescriptor d = parse(VmDescriptor.encode(HOME, vm));
        assertThat(d.vm()).isEqualTo(vm);
        assertThat(d.homeId()).isEqualTo(HOME);
        assertThat(d.format()).isEqualTo(VmDescriptor.FORMAT);
    }

    @Test
    void aDescriptorInAnotherDirectoryIsRefused() {
        String json = VmDescriptor.encode(HOME, vm);
        assertThatThrownBy(() -> VmDescriptor.parse(json, paths.vmsDir(), paths.vmDir("00000000beef")))
                .isInstanceOf(BangerException.class).hasMessageContaining("is not the directory's name");
    }

    @Test
    void pathsOutsideTheVmDirectoryAreRefused() {
        VmRecord hostile = vm.withRuntime(new dev.banger.api.VmRuntime(vm.state(), "172.29.0.2", vm.runtime().apiSockPath(),
                vm.runtime().vsockPath(), 3, vm.runtime().logPath(), vm.runtime().metricsPath(), "demo.vm", vm.runtime().vmDir(),
                "/etc/shadow", vm.runtime().vmDir() + "/../../../root/work.img", null), vm.updatedAt());
        assertThatThrownBy(() -> parse(VmDescriptor.encode(HOME, hostile))).isInstanceOf(BangerException.class)
                .hasMessageContaining("/etc/shadow is not inside").hasMessageContaining("root/work.img is not inside");
    }

    @Test
    void badHomeIdsNamesAndFormatsAreRefused() {
        assertThatThrownBy(() -> parse(VmDescriptor.encode("nothex", vm))).hasMessageContaining("home id");
        String upper = VmDescriptor.encode(HOME, vm).replace("\"name\" : \"demo\"", "\"name\" : \"Demo!\"");
        assertThatThrownBy(() -> parse(upper)).hasMessageContaining("not a valid VM name");
        String future = VmDescriptor.encode(HOME, vm).replace("\"format\" : 1", "\"format\" : 9");
        assertThatThrownBy(() -> parse(future)).hasMessageContaining("format 9");
        assertThatThrownBy(() -> parse("{\"format\": 1}")).hasMessageContaining("incomplete");
        assertThatThrownBy(() -> parse("not json")).hasMessageContaining("not a VM descriptor");
    }
}
