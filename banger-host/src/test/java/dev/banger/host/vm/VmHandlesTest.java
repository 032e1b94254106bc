package dev.banger.host.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VmHandlesTest {
    private static final String ID = "0123456789ab";

    @Test
    void roundTripsThroughItsJson() {
        VmHandles h = new VmHandles(4242, "bgr" + ID, "/dev/loop3", "/dev/loop4", "banger-" + ID, "/dev/mapper/banger-" + ID, "vsock");
        assertThat(VmHandles.parse(h.toJson(), ID)).isEqualTo(h);
        VmHandles qemu = VmHandles.NONE.withTap("bgr" + ID).withPid(77);
        assertThat(qemu.toJson()).isEqualTo("{\"vmm_pid\":77,\"tap\":\"bgr" + ID + "\"}\n");
        assertThat(VmHandles.parse(qemu.toJson(), ID)).isEqualTo(qemu);
        assertThat(VmHandles.parse(VmHandles.NONE.toJson(), ID).isEmpty()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "garbage", "[]", "null", "{\"vmm_pid\":\"x\"}", "{\"vmm_pid\":-1}", "{\"vmm_pid\":99999999}",
            "{\"vmm_pid\":1,\"surprise\":true}", "{\"tap\":\"eth0\"}", "{\"tap\":\"bgr000000000000\"}", "{\"base_loop\":\"/dev/sda\"}",
            "{\"cow_loop\":\"/dev/loop1; rm -rf /\"}", "{\"dm_name\":\"root\"}", "{\"dm_device\":\"/dev/sda1\"}", "{\"vmm_pid\":1,\"agent\":\"carrier-pigeon\"}", "{\"vmm_pid\":1"})
    void anythingBangerWouldNotHaveWrittenIsRejected(String text) {
        assertThatThrownBy(() -> VmHandles.parse(text, ID)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void onlyThisVmsTapAndDmNameAreAccepted() {
        assertThat(VmHandles.parse("{\"vmm_pid\":0,\"tap\":\"bgr" + ID + "\",\"dm_name\":\"banger-" + ID + "\",\"dm_device\":\"/dev/dm-3\"}", ID).dmDevice())
                .isEqualTo("/dev/dm-3");
        assertThatThrownBy(() -> VmHandles.parse("{\"vmm_pid\":0,\"tap\":\"bgr" + ID + "\"}", "ba9876543210"))
                .hasMessageContaining("not this VM's");
        assertThatThrownBy(() -> VmHandles.parse("{}", "not-an-id")).isInstanceOf(IllegalArgumentException.class);
    }
}
