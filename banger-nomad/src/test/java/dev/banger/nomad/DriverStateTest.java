package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DriverStateTest {
    @Test
    void roundTripsAsJson() {
        DriverState s = DriverState.of("d257d58ff63c", "nomad-web-0123456789abcdef");
        String json = new String(s.encode(), StandardCharsets.UTF_8);
        assertThat(json).isEqualTo("{\"version\":1,\"vm_id\":\"d257d58ff63c\",\"vm_name\":\"nomad-web-0123456789abcdef\",\"task\":\"main\"}");
        assertThat(DriverState.decode(s.encode())).isEqualTo(s);
    }

    @Test
    void refusesWhatIsNotOurs() {
        assertThatThrownBy(() -> DriverState.decode(new byte[0])).hasMessageContaining("no driver_state");
        assertThatThrownBy(() -> DriverState.decode("{}".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("not the banger driver's");
        assertThatThrownBy(() -> DriverState.decode(bytes("{\"version\":2,\"vm_id\":\"d257d58ff63c\",\"vm_name\":\"a\",\"task\":\"main\"}")))
                .hasMessageContaining("not the banger driver's");
        assertThatThrownBy(() -> DriverState.decode(bytes("{\"version\":1,\"vm_id\":\"../etc\",\"vm_name\":\"a\",\"task\":\"main\"}")))
                .hasMessageContaining("not the banger driver's");
        assertThatThrownBy(() -> DriverState.decode(new byte[5000])).hasMessageContaining("more than 4096");
        assertThatThrownBy(() -> DriverState.of("d257d58ff63c", "Bad Name")).hasMessageContaining("vm_name");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
