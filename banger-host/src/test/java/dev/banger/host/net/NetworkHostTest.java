package dev.banger.host.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.Ipv4Subnet;
import dev.banger.core.net.NetCommands;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** {@link NetworkHost}'s decisions about commands and failures, with a scripted executor (no host access). */
class NetworkHostTest {
    private static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("172.29.0.0/24");
    private static final String EMPTY = "[{\"ifname\":\"lo\",\"flags\":[\"LOOPBACK\"]}]";
    private static final String WITH_BRIDGE = "[{\"ifname\":\"banger0\",\"flags\":[\"UP\"],\"address\":\"02:62:ac:1d:00:01\","
            + "\"linkinfo\":{\"info_kind\":\"bridge\"},\"addr_info\":[{\"family\":\"inet\",\"local\":\"172.29.0.1\",\"prefixlen\":24}]}]";

    /** Answers each command from a queue of results; records what ran. */
    private static final class Scripted implements Executor {
        final List<List<String>> ran = new ArrayList<>();
        final Deque<Result> answers = new ArrayDeque<>();

        Scripted answer(int status, String stdout, String stderr) {
            answers.add(new Result(status, stdout, stderr));
            return this;
        }

        @Override
        public Result run(List<String> argv) {
            ran.add(argv);
            if (answers.isEmpty()) {
                throw new AssertionError("unexpected command " + argv);
            }
            return answers.removeFirst();
        }
    }

    private static final Sysctls NO_SYSCTLS = new Sysctls() {
        @Override
        public String read(String key) {
            throw new AssertionError("read " + key);
        }

        @Override
        public void write(String key, String value) {
            throw new AssertionError("write " + key);
        }
    };

    @Test
    void badNamesAreRejectedBeforeAnyCommandRuns() {
        Scripted exec = new Scripted();
        NetworkHost host = new NetworkHost(exec, NO_SYSCTLS);
        List<Consumer<String>> operations = List.of(
                n -> host.ensureBridge(n, SUBNET), n -> host.createTap(n, "banger0"), n -> host.createTap("bgr1", n),
                host::deleteTap, host::teardown, n -> host.setNat(n, SUBNET, true), n -> host.setNat(n, SUBNET, false),
                n -> host.guardGuests(n, SUBNET));
        for (String bad : List.of("", "bad name", "0123456789abcdef", "-x", "x;y", "a\"b", "$(reboot)")) {
            for (Consumer<String> op : operations) {
                assertThatThrownBy(() -> op.accept(bad)).isInstanceOf(BangerException.class)
                        .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
            }
        }
        assertThat(exec.ran).isEmpty();
    }

    @Test
    void aBridgeAsWantedRunsOnlyTheObservation() {
        Scripted exec = new Scripted().answer(0, WITH_BRIDGE, "");
        new NetworkHost(exec, NO_SYSCTLS).ensureBridge("banger0", SUBNET);
        assertThat(exec.ran).containsExactly(NetCommands.observe());
    }

    @Test
    void aStepThatLostARaceIsReplannedFromAFreshLook() {
        // Another creator made the bridge between our look and our "ip link add".
        Scripted exec = new Scripted().answer(0, EMPTY, "").answer(2, "", "RTNETLINK answers: File exists")
                .answer(0, WITH_BRIDGE, "");
        new NetworkHost(exec, NO_SYSCTLS).ensureBridge("banger0", SUBNET);
        assertThat(exec.ran).containsExactly(NetCommands.observe(), NetCommands.addBridge("banger0", SUBNET),
                NetCommands.observe());
    }

    @Test
    void aStepThatKeepsFailingGivesUpWithTheCommandAndItsError() {
        Scripted exec = new Scripted();
        for (int i = 0; i < 3; i++) {
            exec.answer(0, EMPTY, "").answer(2, "", "RTNETLINK answers: No buffer space available");
        }
        assertThatThrownBy(() -> new NetworkHost(exec, NO_SYSCTLS).ensureBridge("banger0", SUBNET))
                .isInstanceOf(BangerException.class)
                .hasMessageContaining("'ip link add name banger0").hasMessageContaining("exit status 2")
                .hasMessageContaining("No buffer space available");
        assertThat(exec.ran).hasSize(6);
    }

    @Test
    void permissionErrorsSayToRunAsRootAndAreNotRetried() {
        Scripted exec = new Scripted().answer(0, EMPTY, "").answer(2, "", "RTNETLINK answers: Operation not permitted");
        assertThatThrownBy(() -> new NetworkHost(exec, NO_SYSCTLS).ensureBridge("banger0", SUBNET))
                .isInstanceOf(BangerException.class).hasMessageContaining("must run as root")
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.PERMISSION_DENIED));
        assertThat(exec.ran).hasSize(2);
    }

    @Test
    void missingProgramsNameThePackage() {
        Scripted noIp = new Scripted().answer(Executor.PROGRAM_MISSING, "", "cannot run ip");
        assertThatThrownBy(() -> new NetworkHost(noIp, NO_SYSCTLS).listTaps("bgr"))
                .hasMessageContaining("apt install iproute2")
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.MISSING_DEPENDENCY));
        Sysctls forwarding = new Sysctls() {
            @Override
            public String read(String key) {
                return "1";
            }

            @Override
            public void write(String key, String value) {
                throw new AssertionError("already on");
            }
        };
        Scripted noNft = new Scripted().answer(Executor.PROGRAM_MISSING, "", "cannot run nft");
        assertThatThrownBy(() -> new NetworkHost(noNft, forwarding).setNat("banger0", SUBNET, true))
                .hasMessageContaining("apt install nftables");
    }

    @Test
    void withoutNftGuestsCannotBeGuardedSoThatIsAnErrorNotASilentSkip() {
        Scripted noNft = new Scripted().answer(Executor.PROGRAM_MISSING, "", "cannot run nft");
        assertThatThrownBy(() -> new NetworkHost(noNft, NO_SYSCTLS).guardGuests("banger0", SUBNET))
                .hasMessageContaining("apt install nftables").hasMessageContaining("reaching the host's services")
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.MISSING_DEPENDENCY));
        assertThat(noNft.ran).containsExactly(NetCommands.guardOn("banger0", SUBNET));
        Scripted refused = new Scripted().answer(1, "", "Error: Could not process rule: Operation not permitted");
        assertThatThrownBy(() -> new NetworkHost(refused, NO_SYSCTLS).guardGuests("banger0", SUBNET))
                .hasMessageContaining("must run as root");
    }

    @Test
    void guardedReadsTheGuardTableFromTheListing() {
        String listing = "{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"banger_guard\", \"handle\": 3}}]}";
        Scripted exec = new Scripted().answer(0, listing, "").answer(0, listing, "");
        NetworkHost host = new NetworkHost(exec, NO_SYSCTLS);
        assertThat(host.guarded()).isTrue();
        assertThat(host.natEnabled()).isFalse();
        assertThat(new NetworkHost(new Scripted().answer(Executor.PROGRAM_MISSING, "", ""), NO_SYSCTLS).guarded()).isFalse();
    }

    @Test
    void withoutNftThereIsNoTableToRemove() {
        Scripted exec = new Scripted().answer(Executor.PROGRAM_MISSING, "", "cannot run nft");
        new NetworkHost(exec, NO_SYSCTLS).setNat("banger0", SUBNET, false);
        Scripted teardown = new Scripted().answer(0, EMPTY, "").answer(Executor.PROGRAM_MISSING, "", "cannot run nft")
                .answer(Executor.PROGRAM_MISSING, "", "cannot run nft");
        new NetworkHost(teardown, NO_SYSCTLS).teardown("banger0");
        assertThat(teardown.ran).containsExactly(NetCommands.observe(), NetCommands.natOff(), NetCommands.guardOff());
        assertThat(new NetworkHost(new Scripted().answer(Executor.PROGRAM_MISSING, "", ""), NO_SYSCTLS).natEnabled()).isFalse();
    }

    @Test
    void natTurnsOnForwardingOnlyWhenOff() {
        List<String> writes = new ArrayList<>();
        Sysctls off = new Sysctls() {
            @Override
            public String read(String key) {
                return "0";
            }

            @Override
            public void write(String key, String value) {
                writes.add(key + "=" + value);
            }
        };
        Scripted exec = new Scripted().answer(0, "", "");
        new NetworkHost(exec, off).setNat("banger0", SUBNET, true);
        assertThat(writes).containsExactly("net.ipv4.ip_forward=1");
        assertThat(exec.ran).containsExactly(NetCommands.natOn("banger0", SUBNET));
    }

    @Test
    void longScriptsAreShortenedInMessages() {
        BangerException e = NetworkHost.failure(NetCommands.natOn("banger0", SUBNET), new Executor.Result(1, "", "Error: x"));
        assertThat(e.getMessage()).contains("'nft add table ip banger;").contains("...'").contains("Error: x");
    }
}
