package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.BangerConfig;
import dev.banger.core.Ipv4Subnet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 17's acceptance: the unmodified E2B SDK ({@code e2b} 2.51.0 from npm, installed by setup.sh into
 * banger-it/e2b-sdk with its lock file) runs {@code acceptance.mjs} on Node inside a test-made network namespace, against a
 * bangerd there with the E2B listener on and a template of the shared image made first (so that its two creates restore
 * rather than boot). Every step the script prints is its own assertion, its detail in the message; then nothing may be
 * left: no VM, no QEMU. The namespace's resolv.conf points at banger's DNS (the bridge's gateway), as a user's resolver
 * routing domain would for {@code *.DOMAIN}, so that {@code getHost(8080)}'s name resolves.
 */
@Timeout(value = 25, unit = TimeUnit.MINUTES)
class E2bSdkIT {
    /** Any port: the namespace is the test's own. */
    private static final String LISTEN = "127.0.0.1:3000";
    private static final Duration CLI = Duration.ofMinutes(2);
    /** Every step the script runs, in its order: a step that never printed (the script died) fails too. */
    private static final List<String> STEPS = List.of("create", "commands.run echo hi", "create envs reach commands",
            "commands.run failing: CommandExitError", "commands background, list, kill", "commands onStdout/onStderr",
            "commands sendStdin", "pty: create, input, resize, kill", "files write/read/list/makeDir/rename/remove/exists", "files 50 MiB binary, SHA-256",
            "files.watchDir events", "getHost(8080) to busybox httpd", "Sandbox.list with metadata",
            "Sandbox.connect from a second client", "pause, then connect resumes memory and processes", "wrong API key: AuthenticationError (401)", "unknown template: 404",
            "create second sandbox", "another sandbox's token refused", "setTimeout then gone at expiry", "kill then gone");

    @Test
    void theUnmodifiedSdkPassesIssue17sAcceptanceList() throws IOException {
        Path sdk = BangerHome.repo().resolve("banger-it/e2b-sdk");
        assertThat(sdk.resolve("node_modules/e2b/package.json")).as("the SDK installed (./setup.sh --deps-only runs npm ci there)")
                .isRegularFile();
        try (NetnsHome ns = NetnsHome.withSharedImage("[e2b]\nlisten = \"" + LISTEN + "\"\n")) {
            Path resolvConf = Path.of("/etc/netns", ns.netns, "resolv.conf");
            try {
                String key = ns.ok(CLI, "e2b", "key", "create", "--json").json().get("key").asText();
                assertThat(key).startsWith("e2b_");
                // The template of the image the SDK's "base" maps to (the default image): creates restore it.
                ns.ok(Duration.ofMinutes(6), "image", "warm", BangerHome.DEFAULT_IMAGE, "--json");
                // ip netns exec binds /etc/netns/NAME/resolv.conf over /etc/resolv.conf for what it runs.
                Files.createDirectories(resolvConf.getParent());
                Files.writeString(resolvConf, "nameserver " + Ipv4Subnet.format(BangerConfig.DEFAULTS.subnet().gateway()) + "\n");

                String url = "http://" + LISTEN;
                BangerHome.Result r = ns.home.run(List.of("ip", "netns", "exec", ns.netns, "env", "E2B_API_URL=" + url,
                        "E2B_SANDBOX_URL=" + url, "E2B_API_KEY=" + key, "E2B_TEMPLATE=" + BangerHome.DEFAULT_IMAGE,
                        "node", sdk.resolve("acceptance.mjs").toString()), Duration.ofMinutes(20));
                System.out.println(r); // the steps' lines in the test's log, passed or not

                SoftAssertions softly = new SoftAssertions();
                List<String> ran = new ArrayList<>();
                for (String line : r.stdout().lines().filter(l -> l.startsWith("{\"step\"")).toList()) {
                    JsonNode s = BangerHome.JSON.readTree(line);
                    ran.add(s.get("step").asText());
                    softly.assertThat(s.get("ok").asBoolean()).as("step '%s' (%d ms): %s", s.get("step").asText(), s.get("ms").asLong(),
                            s.get("detail")).isTrue();
                }
                softly.assertThat(ran).as("steps the script printed (stderr: %s)", r.stderr()).containsExactlyElementsOf(STEPS);
                softly.assertThat(r.exitCode()).as("the script's exit status").isZero();

                JsonNode vms = ns.ok(CLI, "vm", "list", "--json").json().get("vms");
                softly.assertThat(vms).as("VMs left after the script").isEmpty();
                String vmsDir = ns.home.path().resolve("vms").toString();
                long qemus = ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                        .map(c -> c.contains("qemu-system") && c.contains(vmsDir)).orElse(false)).count();
                softly.assertThat(qemus).as("QEMU processes left after the script").isZero();
                softly.assertAll();
            } finally {
                Files.deleteIfExists(resolvConf);
                try {
                    Files.deleteIfExists(resolvConf.getParent());
                } catch (java.nio.file.DirectoryNotEmptyException others) {
                    // /etc/netns/NAME is this test's namespace's own; nothing else should be there, but never delete it
                }
            }
        }
    }
}
