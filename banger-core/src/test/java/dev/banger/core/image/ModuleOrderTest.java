package dev.banger.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ModuleOrderTest {
    /** A slice of Debian 6.1 cloud kernel's modules.dep (depmod output), checked in as a fixture. */
    private static String fixture(String name) throws IOException {
        try (InputStream in = ModuleOrderTest.class.getResourceAsStream("/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<String> names(List<String> paths) {
        return paths.stream().map(ModuleOrder::name).toList();
    }

    @Test
    void everyModuleLoadsAfterItsDependencies() throws IOException {
        Map<String, List<String>> deps = ModuleOrder.parse(fixture("modules.dep.sample"));
        List<String> order = ModuleOrder.loadOrder(deps, ImageRecipe.INITRAMFS_MODULES, Set.of());
        for (int i = 0; i < order.size(); i++) {
            for (String dep : deps.get(order.get(i))) {
                assertThat(order.indexOf(dep)).as(order.get(i) + " needs " + dep).isBetween(0, i - 1);
            }
        }
        assertThat(names(order)).contains("virtio_mmio", "virtio_blk", "virtio_net", "virtio_console", "vmw_vsock_virtio_transport", "overlay",
                "fat", "vfat", "nls_cp437", "nls_ascii").doesNotContain("virtio_pci", "msdos", "nls_utf8");
    }

    @Test
    void followsModprobeOrderReadingDependenciesFromTheEnd() throws IOException {
        Map<String, List<String>> deps = ModuleOrder.parse(fixture("modules.dep.sample"));
        // net_failover.ko: failover.ko -> failover must come first
        List<String> order = names(ModuleOrder.loadOrder(deps, List.of("virtio_net"), Set.of()));
        assertThat(order).containsExactly("virtio", "virtio_ring", "failover", "net_failover", "virtio_net");
    }

    @Test
    void builtInModulesAreSkippedAndNamesNormalised() {
        Map<String, List<String>> deps = ModuleOrder.parse("kernel/fs/overlayfs/overlay.ko:\nkernel/drivers/char/hw_random/virtio-rng.ko: kernel/x/virtio.ko\nkernel/x/virtio.ko:\n");
        assertThat(ModuleOrder.name("kernel/drivers/char/hw_random/virtio-rng.ko.xz")).isEqualTo("virtio_rng");
        assertThat(names(ModuleOrder.loadOrder(deps, List.of("overlay", "ext4", "virtio-rng"), Set.of("ext4"))))
                .containsExactly("overlay", "virtio", "virtio_rng");
        assertThat(ModuleOrder.parseBuiltin("kernel/fs/ext4/ext4.ko\n\nkernel/lib/crc16.ko\n")).containsExactlyInAnyOrder("ext4", "crc16");
    }

    @Test
    void aMissingModuleOrACycleIsAClearError() {
        assertThatThrownBy(() -> ModuleOrder.loadOrder(Map.of(), List.of("virtio_blk"), Set.of()))
                .isInstanceOf(BangerException.class).hasMessageContaining("virtio_blk").hasMessageContaining("cannot boot");
        Map<String, List<String>> cyclic = Map.of("a.ko", List.of("b.ko"), "b.ko", List.of("a.ko"));
        assertThatThrownBy(() -> ModuleOrder.loadOrder(cyclic, List.of("a"), Set.of())).hasMessageContaining("cycle");
    }
}
