package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * What the E2B translation needs of a real guest (issue 17): the image's account {@code user}, which the SDK runs
 * commands as, and the agent's file ops, inotify watch and long-lived processes running on the guest's kernel and
 * libc. No RPC reaches those ops yet, so the agent's own training run (which serves itself them over a socket
 * pair: FsOps, a file written and read whole by FsTransfer, FsWatch, a tagged process fed through proc_input) is
 * run in the guest by vm exec; its unit tests
 * check the answers, this checks that nothing of it fails or hangs in a VM.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class AgentGuestOpsIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(3);
    private static final String VM = "ops";
    private NetnsHome ns;

    @BeforeAll
    void start() {
        ns = NetnsHome.withSharedImage(null);
        BangerHome.Result run = ns.banger(BOOT, "vm", "run", "--name", VM, "--", "true");
        assertThat(run.exitCode()).as("%s", run).isZero();
    }

    @AfterAll
    void cleanUp() {
        ns.close();
    }

    @Test
    void theImageHasTheAccountUser() {
        BangerHome.Result r = ns.banger(CLI, "vm", "exec", "-u", "user", VM, "--", "sh", "-c",
                "id -un; id -u; id -g; echo \"$HOME\"; pwd; stat -c '%U %a' /home/user; touch /home/user/mine && echo writable");
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.stdout()).isEqualTo("user\n1000\n1000\n/home/user\n/home/user\nuser 750\nwritable\n");
    }

    @Test
    void theAgentsFileAndProcessPathsRunInTheGuest() {
        BangerHome.Result r = ns.banger(CLI, "vm", "exec", VM, "--", "/opt/banger/jre/bin/java", "--enable-native-access=ALL-UNNAMED",
                "-jar", "/opt/banger/agent/banger-agent.jar", "train");
        assertThat(r.exitCode()).as("%s", r).isZero();
    }
}
