package dev.banger.host.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.host.disk.RawCow;
import dev.banger.host.guest.AgentTransport;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VmHandlesTest {
    private static final String ID = "0123456789ab";
    private static final RawCow.RootDevices DEVICES = new RawCow.RootDevices("/dev/loop3", "/dev/loop4", "banger-" + ID,
            "/dev/mapper/banger-" + ID);

    @Test
    void roundTripsThroughItsJsonWithItsParts() {
        VmHandles h = VmHandles.NONE.withPid(4242).withTap("bgr" + ID).withAgent(AgentTransport.VSOCK).with(RawCow.DEVICES, DEVICES);
        VmHandles back = VmHandles.parse(h.toJson(), ID);
        assertThat(back).isEqualTo(h);
        assertThat(back.part(RawCow.DEVICES, ID)).hasValue(DEVICES);
        assertThat(h.toJson()).contains("\"parts\":{\"root\":{\"base_loop\":\"/dev/loop3\"").contains("\"agent\":\"vsock\"");
        VmHandles qemu = VmHandles.NONE.withTap("bgr" + ID).withPid(77);
        assertThat(qemu.toJson()).isEqualTo("{\"vmm_pid\":77,\"tap\":\"bgr" + ID + "\"}\n");
        assertThat(VmHandles.parse(qemu.toJson(), ID)).isEqualTo(qemu);
        assertThat(VmHandles.parse(VmHandles.NONE.toJson(), ID).isEmpty()).isTrue();
        assertThat(h.with(RawCow.DEVICES, null).parts()).as("a part removed").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "garbage", "[]", "null", "{\"vmm_pid\":\"x\"}", "{\"vmm_pid\":-1}", "{\"vmm_pid\":99999999}",
            "{\"vmm_pid\":1,\"surprise\":true}", "{\"tap\":\"eth0\"}", "{\"tap\":\"bgr000000000000\"}",
            "{\"vmm_pid\":1,\"agent\":\"carrier-pigeon\"}", "{\"vmm_pid\":1", "{\"parts\":{\"root\":\"/dev/sda\"}}",
            "{\"parts\":{\"../../etc\":{}}}"})
    void anythingBangerWouldNotHaveWrittenIsRejected(String text) {
        assertThatThrownBy(() -> VmHandles.parse(text, ID)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"base_loop\":\"/dev/sda\"}", "{\"cow_loop\":\"/dev/loop1; rm -rf /\"}", "{\"dm_name\":\"root\"}",
            "{\"dm_device\":\"/dev/sda1\"}", "{\"parts\":{\"root\":{\"dm_name\":\"banger-ba9876543210\"}}}"})
    void aPartBangerWouldNotHaveWrittenIsRefusedByItsOwner(String text) {
        VmHandles h = VmHandles.parse(text, ID);
        assertThatThrownBy(() -> h.part(RawCow.DEVICES, ID)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void filesFromBeforePartsKeepTheirRootDevices() {
        VmHandles legacy = VmHandles.parse("{\"vmm_pid\":0,\"tap\":\"bgr" + ID + "\",\"dm_name\":\"banger-" + ID
                + "\",\"dm_device\":\"/dev/dm-3\",\"agent\":\"tcp\"}", ID);
        assertThat(legacy.part(RawCow.DEVICES, ID).orElseThrow().dmDevice()).isEqualTo("/dev/dm-3");
        assertThat(legacy.agent()).isEqualTo(AgentTransport.TCP);
        assertThat(legacy.parts()).containsOnlyKeys("root");
    }

    @Test
    void onlyThisVmsTapIsAccepted() {
        assertThatThrownBy(() -> VmHandles.parse("{\"vmm_pid\":0,\"tap\":\"bgr" + ID + "\"}", "ba9876543210"))
                .hasMessageContaining("not this VM's");
        assertThatThrownBy(() -> VmHandles.parse("{}", "not-an-id")).isInstanceOf(IllegalArgumentException.class);
        assertThat(new VmHandles(0, null, null, Map.of()).isEmpty()).isTrue();
    }
}
