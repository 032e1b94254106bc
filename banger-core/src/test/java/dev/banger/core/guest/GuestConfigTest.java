package dev.banger.core.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import org.junit.jupiter.api.Test;

class GuestConfigTest {
    static final String CLIENT = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGNsaWVudGtleWNsaWVudGtleWNsaWVudGtleQ banger";
    static final String HOST_PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGhvc3RrZXlob3N0a2V5aG9zdGtleWhvc3RrZQ demo";
    static final String HOST_PRIV = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";

    static GuestConfig demo() {
        return new GuestConfig("0123456789ab", "demo", "02:23:45:67:89:ab", "172.29.0.2/24", "172.29.0.1", "172.29.0.1",
                false, null, CLIENT, HOST_PRIV, HOST_PUB);
    }

    @Test
    void carriesTheNoCloudFilesAndBangersOwn() {
        assertThat(demo().files()).containsOnlyKeys("meta-data", "user-data", "network-config", "banger.env", "authorized_keys",
                "ssh_host_ed25519_key", "ssh_host_ed25519_key.pub");
        assertThat(demo().files().get("meta-data")).isEqualTo("instance-id: banger-0123456789ab\nlocal-hostname: demo\n");
        assertThat(demo().files().get("user-data")).startsWith("#cloud-config\n").contains("ssh_authorized_keys:\n  - \"" + CLIENT + "\"")
                .contains("  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n    b3BlbnNzaC1rZXktdjEAAAAA\n")
                .contains("disable_root: false");
        assertThat(demo().files().get("network-config")).contains("macaddress: \"02:23:45:67:89:ab\"").contains("\"172.29.0.2/24\"")
                .contains("via: 172.29.0.1");
    }

    @Test
    void bangerEnvIsQuotedKeyValueLines() {
        assertThat(demo().files().get("banger.env")).contains("BANGER_HOSTNAME='demo'\n").contains("BANGER_ADDRESS='172.29.0.2/24'\n")
                .contains("BANGER_AGENT='0'\n").contains("BANGER_MAC='02:23:45:67:89:ab'\n");
    }

    @Test
    void pinsTheHostKeyUnderTheDnsNameAndAddress() {
        assertThat(demo().knownHostsLine("demo.vm")).isEqualTo("demo.vm,172.29.0.2 ssh-ed25519 "
                + HOST_PUB.split(" ")[1] + "\n");
    }

    @Test
    void refusesValuesThatCouldBreakTheFilesTheyGoInto() {
        assertThatThrownBy(() -> new GuestConfig("0123456789ab", "demo'; rm -rf /", "02:23:45:67:89:ab", "172.29.0.2/24",
                "172.29.0.1", "172.29.0.1", false, null, CLIENT, HOST_PRIV, HOST_PUB)).isInstanceOf(BangerException.class);
        assertThatThrownBy(() -> new GuestConfig("0123456789ab", "demo", "02:23:45:67:89:ab", "172.29.0.2/24", "172.29.0.1",
                "172.29.0.1", true, "short", CLIENT, HOST_PRIV, HOST_PUB)).hasMessageContaining("agent token");
        assertThatThrownBy(() -> new GuestConfig("0123456789ab", "demo", "02:23:45:67:89:ab", "172.29.0.2/24", "172.29.0.1",
                "172.29.0.1", false, null, CLIENT + "\nevil", HOST_PRIV, HOST_PUB)).hasMessageContaining("single-line");
        assertThatThrownBy(() -> new GuestConfig("0123456789ab", "demo", "02:23:45:67:89:AB", "172.29.0.2/24", "172.29.0.1",
                "172.29.0.1", false, null, CLIENT, HOST_PRIV, HOST_PUB)).hasMessageContaining("MAC");
        assertThatThrownBy(() -> new GuestConfig("0123456789ab", "demo", "02:23:45:67:89:ab", "172.29.0.2", "172.29.0.1",
                "172.29.0.1", false, null, CLIENT, HOST_PRIV, HOST_PUB)).hasMessageContaining("prefix");
    }

    @org.junit.jupiter.api.Test
    void mountsBecomeBangerMountLinesAndBadOnesAreRefused() {
        GuestConfig c = demo();
        GuestConfig withMounts = new GuestConfig(c.vmId(), c.hostname(), c.mac(), c.address(), c.gateway(), c.dns(), c.agent(), c.agentToken(),
                c.authorizedKey(), c.hostKeyPrivate(), c.hostKeyPublic(), java.util.List.of(new GuestConfig.Mount("banger0", "/src", false),
                new GuestConfig.Mount("banger1", "/mnt/data", true)));
        org.assertj.core.api.Assertions.assertThat(withMounts.bangerEnv()).contains("BANGER_MOUNT_0='banger0:/src:rw'\n")
                .contains("BANGER_MOUNT_1='banger1:/mnt/data:ro'\n");
        org.assertj.core.api.Assertions.assertThat(c.bangerEnv()).doesNotContain("BANGER_MOUNT");
        for (String bad : java.util.List.of("/a'b", "/a/../b", "rel", "/a b", "/a/.")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new GuestConfig.Mount("banger0", bad, false)).as(bad)
                    .isInstanceOf(dev.banger.api.BangerException.class);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new GuestConfig.Mount("x;y", "/a", false))
                .isInstanceOf(dev.banger.api.BangerException.class);
    }
}
