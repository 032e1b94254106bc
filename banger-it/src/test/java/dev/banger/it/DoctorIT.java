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

    @Test
    void reportsTheConfiguredFirecrackerAndJailerWithTheirVersions() throws Exception {
        try (BangerHome home = BangerHome.create()) {
            java.nio.file.Files.writeString(home.configFile(), "[vmm]\nfirecracker = \"" + FirecrackerIT.stub() + "\"\n"
                    + "[jailer]\nenabled = true\nbinary = \"/nonexistent/jailer\"\n");
            JsonNode checks = home.ok("doctor", "--json").json();
            assertThat(check(checks, "firecracker").get("ok").asBoolean()).isTrue();
            assertThat(check(checks, "firecracker").get("detail").asText()).contains(FirecrackerIT.stub().toString())
                    .contains("Firecracker v").contains("banger strict stub");
            assertThat(check(checks, "jailer").get("ok").asBoolean()).isFalse();
            assertThat(check(checks, "jailer").get("detail").asText()).contains("missing").contains("[jailer] binary");
            JsonNode boots = check(checks, "firecracker can boot");
            assertThat(boots.get("detail").asText()).as("says whether KVM can really run a guest, and why")
                    .isNotBlank().containsAnyOf("KVM can run a guest here", "no: Firecracker needs KVM");
        }
    }

    private static JsonNode check(JsonNode checks, String name) {
        for (JsonNode c : checks) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no check named " + name + " in " + checks);
    }
}
