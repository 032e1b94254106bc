package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** `banger doctor` reports this host's facts, each with a detail, without needing (or starting) a daemon. */
class DoctorIT {
    @Test
    void reportsEveryCapabilityWithADetailAndStartsNothing() {
        try (BangerHome home = BangerHome.create()) {
            JsonNode checks = home.ok("doctor", "--json").json();
            List<String> names = new ArrayList<>();
            for (JsonNode c : checks) {
                names.add(c.get("name").asText());
                assertThat(c.get("detail").asText()).as(c.toString()).isNotBlank();
            }
            assertThat(names).contains("root", "accelerator", "qemu", "qemu-img", "tap devices", "device-mapper", "vhost-vsock",
                    "firecracker", "host resolves <name>.vm");
            assertThat(home.ok("doctor").stdout()).startsWith("CHECK").contains("accelerator");
            assertThat(home.daemons()).as("doctor never starts the daemon").isEmpty();
        }
    }
}
