package dev.banger.host.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.Ipv4Subnet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResolvedSetupTest {
    private static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("172.29.0.0/24");

    @Test
    void withResolvedRunningTheCommandsRunInOrder() {
        List<List<String>> ran = new ArrayList<>();
        Executor exec = argv -> {
            ran.add(argv);
            return new Executor.Result(0, "", "");
        };
        assertThat(new ResolvedSetup(exec, () -> true).routeVmDomain("banger0", SUBNET)).isEmpty();
        assertThat(ran).containsExactly(List.of("resolvectl", "--version"),
                List.of("resolvectl", "domain", "banger0", "~vm"), List.of("resolvectl", "default-route", "banger0", "false"),
                List.of("resolvectl", "nta", "banger0", "vm"), List.of("resolvectl", "dns", "banger0", "172.29.0.1"));
    }

    @Test
    void aFailingCommandBecomesAdviceNotAnError() {
        Executor exec = argv -> argv.get(1).equals("domain")
                ? new Executor.Result(1, "", "Failed to set domain configuration: Link banger0 not known")
                : new Executor.Result(0, "", "");
        String advice = new ResolvedSetup(exec, () -> true).routeVmDomain("banger0", SUBNET).orElseThrow();
        assertThat(advice).contains("'resolvectl domain banger0 ~vm' failed").contains("Link banger0 not known")
                .contains("server=/vm/172.29.0.1");
    }

    @Test
    void withoutResolvedNothingRunsButTheProbe() {
        List<List<String>> ran = new ArrayList<>();
        Executor exec = argv -> {
            ran.add(argv);
            return new Executor.Result(Executor.PROGRAM_MISSING, "", "");
        };
        String advice = new ResolvedSetup(exec, () -> false).routeVmDomain("banger0", SUBNET).orElseThrow();
        assertThat(advice).contains("systemd-resolved is not running");
        assertThat(ran).containsExactly(List.of("resolvectl", "--version"));
    }

    @Test
    void theProcessScanRuns() {
        // This machine has no systemd; whatever the answer, asking must not fail.
        ResolvedSetup.resolvedProcessRunning();
    }
}
