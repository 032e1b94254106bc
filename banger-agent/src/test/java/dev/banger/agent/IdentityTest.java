package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The identity op: its request checked field by field before anything is done, its five steps in order, its
 * answer, a failing step stopping the later ones; the batch, the hosts rewrite; and the real network, file and
 * sshd steps over a guest tree in a temporary directory (a fake ip, a sleep of the test's own as "sshd"). The
 * kernel steps are {@link Recording}'s only: the real ones would reseed the RNG and set the clock of the
 * machine running the test.
 */
@Timeout(60)
class IdentityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** 2026-01-01T00:00:00.123456789Z: 19 digits, as every time in ns since the epoch after 2001. */
    private static final long TIME_NS = 1_767_225_600_123_456_789L;
    private static final String KEY = Identity.KEY_BEGIN + "\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
            + Identity.KEY_END + "\n";
    private static final String PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx2dzsr3+Z0Q8b/Yx4= c4";
    private static final String MACHINE_ID = "5f3a0c9d8e7b41a2b6c4d2e0f1a3b5c7";
    private static final String TOKEN = "tok_0123456789-abcdefghijkLMNOP";
    private static final String[] STEPS = {"reseed", "clock", "network", "files", "sshd"};

    /** Steps that record what they were asked, in order, and answer what the test set (or fail as it set). */
    static final class Recording implements Identity.Steps {
        final List<String> calls = new ArrayList<>();
        byte[] entropy;
        long time;
        Identity.Asked asked;
        boolean reseeds = true;
        long correction = -1_234_567_890L;
        Identity.Networked networked = new Identity.Networked("eth0", 0, "");
        String sshd = "reloaded";
        String failing;

        private void call(String step) throws IOException {
            calls.add(step);
            if (step.equals(failing)) {
                throw new IOException(step + " broke");
            }
        }

        @Override
        public boolean reseed(byte[] entropy) throws IOException {
            this.entropy = entropy.clone();
            call("reseed");
            return reseeds;
        }

        @Override
        public long setClock(long epochNanos) throws IOException {
            time = epochNanos;
            call("clock");
            return correction;
        }

        @Override
        public Identity.Networked network(Identity.Asked asked) throws IOException {
            this.asked = asked;
            call("network");
            return networked;
        }

        @Override
        public void files(Identity.Asked asked) throws IOException {
            call("files");
        }

        @Override
        public String reloadSshd() throws IOException {
            call("sshd");
            return sshd;
        }
    }

    private final Recording steps = new Recording();

    @TempDir
    Path dir;

    private static String base64(int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (i * 7 + 1);
        }
        return Base64.getEncoder().encodeToString(b);
    }

    /** A valid request's fields, in the protocol's order. */
    private static Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("op", "identity");
        f.put("entropy", base64(64));
        f.put("time_ns", TIME_NS);
        f.put("hostname", "c4");
        f.put("mac", "02:58:0e:65:38:ca");
        f.put("address", "172.29.0.6/24");
        f.put("gateway", "172.29.0.1");
        f.put("dns", "172.29.0.1");
        f.put("token", TOKEN);
        f.put("machine_id", MACHINE_ID);
        f.put("host_key", KEY);
        f.put("host_key_pub", PUB);
        return f;
    }

    /** A valid request with {@code key} set to {@code value} (removed when value is {@link #ABSENT}). */
    private static String with(String key, Object value) throws Exception {
        Map<String, Object> f = fields();
        if (value == ABSENT) {
            f.remove(key);
        } else {
            f.put(key, value);
        }
        return JSON.writeValueAsString(f);
    }

    private static final Object ABSENT = new Object();

    private JsonNode answer(String request) throws Exception {
        Map<String, Object> reply = Identity.answer(Request.parse(request.getBytes(StandardCharsets.UTF_8)), steps);
        return JSON.readTree(Json.write(reply)); // what the host reads: the agent's JSON, parsed by Jackson
    }

    private static Identity.Asked asked(String request) {
        return Identity.Asked.of(Request.parse(request.getBytes(StandardCharsets.UTF_8)));
    }

    // --- the op: order, answer, failures ------------------------------------------------------------

    @Test
    void theStepsRunInOrderWithTheRequestsValuesAndTheAnswerHasTheirResults() throws Exception {
        steps.networked = new Identity.Networked("eth0", 0, "");
        JsonNode reply = answer(JSON.writeValueAsString(fields()));
        assertThat(steps.calls).containsExactly(STEPS);
        assertThat(steps.entropy).isEqualTo(Base64.getDecoder().decode(base64(64)));
        assertThat(steps.time).isEqualTo(TIME_NS);
        Identity.Asked a = steps.asked;
        assertThat(List.of(a.hostname(), a.mac(), a.address(), a.gateway(), a.dns(), a.token(), a.machineId(), a.hostKey(), a.hostKeyPub()))
                .containsExactly("c4", "02:58:0e:65:38:ca", "172.29.0.6/24", "172.29.0.1", "172.29.0.1", TOKEN, MACHINE_ID, KEY, PUB);
        assertThat(a.entropy()).as("wiped once the op is done").containsOnly(0);

        assertThat(reply.path("ok").asBoolean()).isTrue();
        JsonNode result = reply.path("result");
        assertThat(names(result)).containsExactly("reseeded", "clock_corrected_ms", "nic", "network_status", "sshd", "ms", "log");
        assertThat(result.path("reseeded").isBoolean()).isTrue();
        assertThat(result.path("reseeded").asBoolean()).isTrue();
        assertThat(result.path("clock_corrected_ms").isIntegralNumber()).isTrue();
        assertThat(result.path("clock_corrected_ms").asLong()).as("ns to ms, toward zero").isEqualTo(-1234);
        assertThat(result.path("nic").asText()).isEqualTo("eth0");
        assertThat(result.path("network_status").isInt()).isTrue();
        assertThat(result.path("network_status").asInt()).isZero();
        assertThat(result.path("sshd").asText()).isEqualTo("reloaded");
        assertThat(names(result.path("ms"))).containsExactly("rng", "clock", "network", "files", "sshd");
        result.path("ms").forEach(ms -> assertThat(ms.isIntegralNumber() && ms.asLong() >= 0).as(ms.toString()).isTrue());
        assertThat(result.path("log").asText()).isEmpty();
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void aFailingIpIsStillAnAnswerWithItsStatusAndTheFilesAndSshdStillRun() throws Exception {
        steps.networked = new Identity.Networked("eth0", 1, "RTNETLINK answers: File exists\nCommand failed /run/banger/identity.ip:5\n");
        steps.sshd = "absent";
        JsonNode reply = answer(JSON.writeValueAsString(fields()));
        assertThat(reply.path("ok").asBoolean()).as("the host decides").isTrue();
        assertThat(reply.at("/result/network_status").asInt()).isEqualTo(1);
        assertThat(reply.at("/result/log").asText()).contains("Command failed");
        assertThat(reply.at("/result/sshd").asText()).isEqualTo("absent");
        assertThat(steps.calls).containsExactly(STEPS);
    }

    static Stream<Integer> failingSteps() {
        return Stream.of(0, 1, 2, 3, 4);
    }

    @ParameterizedTest
    @MethodSource("failingSteps")
    void aFailingStepIsAnErrorThatSaysWhatWasDoneAndStopsTheLaterOnes(int failing) throws Exception {
        steps.failing = STEPS[failing];
        steps.reseeds = false;
        JsonNode reply = answer(JSON.writeValueAsString(fields()));
        assertThat(reply.path("ok").asBoolean()).isFalse();
        assertThat(steps.calls).containsExactly(List.of(STEPS).subList(0, failing + 1).toArray(String[]::new));
        String error = reply.path("error").asText();
        assertThat(error).contains(STEPS[failing] + " broke").contains("nothing after it");
        assertThat(error).contains(List.of("cannot add the host's entropy", "cannot set the clock", "cannot re-address the network",
                "cannot write the guest's files", "cannot reload sshd").get(failing));
        assertThat(error.contains("the entropy was added (reseeded: false)")).isEqualTo(failing > 0);
        assertThat(error.contains("the clock was corrected by -1234 ms")).isEqualTo(failing > 1);
        assertThat(error.contains("ip -batch on eth0 exited 0")).isEqualTo(failing > 2);
        assertThat(error.contains("the files were written")).isEqualTo(failing > 3);
        if (failing == 0) {
            assertThat(error).contains("done before: nothing");
        }
        assertThat(steps.entropy).as("the entropy reached the pool's step").hasSize(64);
    }

    // --- the request's checks -------------------------------------------------------------------------

    static Stream<Arguments> goodValues() {
        return Stream.of(
                Arguments.of("hostname", "c4"), Arguments.of("hostname", "a"), Arguments.of("hostname", "x".repeat(63)),
                Arguments.of("hostname", "web-1"), Arguments.of("hostname", "0vm"),
                Arguments.of("mac", "02:58:0e:65:38:ca"), Arguments.of("mac", "00:00:00:00:00:01"), Arguments.of("mac", "fe:ff:ff:ff:ff:ff"),
                Arguments.of("address", "172.29.0.6/24"), Arguments.of("address", "10.0.0.1/32"), Arguments.of("address", "1.2.3.4/1"),
                Arguments.of("address", "255.255.255.255/8"), Arguments.of("address", "0.0.0.0/8"),
                Arguments.of("gateway", "172.29.0.1"), Arguments.of("gateway", "0.0.0.0"), Arguments.of("gateway", "255.255.255.255"),
                Arguments.of("dns", "172.29.0.1"), Arguments.of("dns", "10.0.0.10"),
                Arguments.of("token", "a".repeat(16)), Arguments.of("token", "A_b-9".repeat(4)), Arguments.of("token", "x".repeat(128)),
                Arguments.of("token", ABSENT), Arguments.of("token", null),
                Arguments.of("machine_id", MACHINE_ID), Arguments.of("machine_id", "f".repeat(32)), Arguments.of("machine_id", "0".repeat(31) + "1"),
                Arguments.of("host_key", KEY), Arguments.of("host_key", KEY.strip()),
                Arguments.of("host_key", Identity.KEY_BEGIN + "\n" + "A".repeat(7000) + "\n" + Identity.KEY_END + "\n"),
                Arguments.of("host_key_pub", PUB), Arguments.of("host_key_pub", PUB + "\n"), Arguments.of("host_key_pub", "ssh-ed25519 AAAA"),
                Arguments.of("host_key_pub", "ssh-ed25519 AAAA root@c4.vm"), Arguments.of("host_key_pub", "ssh-ed25519 AAAA+/== a_b-c"));
    }

    @ParameterizedTest
    @MethodSource("goodValues")
    void aGoodValueIsTaken(String key, Object value) throws Exception {
        JsonNode reply = answer(with(key, value));
        assertThat(reply.path("ok").asBoolean()).as(reply.toString()).isTrue();
        assertThat(steps.calls).containsExactly(STEPS);
    }

    static Stream<Arguments> badValues() {
        List<Arguments> bad = new ArrayList<>();
        for (String key : List.of("hostname", "mac", "address", "gateway", "dns", "machine_id", "host_key", "host_key_pub")) {
            bad.add(Arguments.of(key, ABSENT)); // required
            bad.add(Arguments.of(key, null)); // null is none
            bad.add(Arguments.of(key, 42)); // not a string
            bad.add(Arguments.of(key, "")); // empty
        }
        bad.add(Arguments.of("token", 42));
        bad.add(Arguments.of("token", ""));
        for (String v : List.of("-a", "a-", "C4", "a_b", "a.b", "x".repeat(64), "é", "a b", "c4\n")) {
            bad.add(Arguments.of("hostname", v));
        }
        for (String v : List.of("02:58:0E:65:38:CA", "02:58:0e:65:38", "02:58:0e:65:38:ca:01", "02-58-0e-65-38-ca", "01:00:5e:00:00:01",
                "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00", "02:58:0e:65:38:ca\n", "02:58:0e:65:38:cg", "0258.0e65.38ca.", " 2:58:0e:65:38:ca")) {
            bad.add(Arguments.of("mac", v));
        }
        for (String v : List.of("172.29.0.6", "172.29.0.6/0", "172.29.0.6/33", "172.29.0.6/024", "172.29.0.6/", "172.29.0.256/24",
                "172.29.00.6/24", "172.29.0/24", "172.29.0.6/24 ", "a.b.c.d/24", "172.29.0.6/24/1", "+1.2.3.4/24", "1.2.3.4/-1",
                "1.2.3.4.5/24", "1.2.3.4/24\n")) {
            bad.add(Arguments.of("address", v));
        }
        for (String key : List.of("gateway", "dns")) {
            for (String v : List.of("172.29.0", "172.29.0.1.5", "01.2.3.4", "1.2.3.4/24", "256.1.1.1", " 1.2.3.4", "1.2.3.-4", "1.2.3.",
                    ".1.2.3", "1..2.3", "1.2.3.4\n", "1.1.1.1 8.8.8.8", "1.1.1.1,8.8.8.8", "::1", "1.2.3.1000")) {
                bad.add(Arguments.of(key, v));
            }
        }
        for (String v : List.of("a".repeat(15), "a".repeat(129), "has space 1234567", "token.with.dots1234", "tok+en/with=01234",
                "token~0123456789", TOKEN + "\n")) {
            bad.add(Arguments.of("token", v));
        }
        for (String v : List.of("0".repeat(32), MACHINE_ID.toUpperCase(), "0123", MACHINE_ID + "0", "g".repeat(32),
                "5f3a0c9d-8e7b-41a2-b6c4-d2e0f1a3b5c7", MACHINE_ID.substring(1) + "\n")) {
            bad.add(Arguments.of("machine_id", v));
        }
        for (String v : List.of("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", Identity.KEY_BEGIN + "\nAAAA\n",
                Identity.KEY_BEGIN + "\nAA\0AA\n" + Identity.KEY_END + "\n", Identity.KEY_BEGIN + "\r\nAAAA\r\n" + Identity.KEY_END + "\r\n",
                Identity.KEY_BEGIN + "\n" + "A".repeat(Identity.MAX_HOST_KEY_CHARS) + "\n" + Identity.KEY_END + "\n",
                " " + KEY, KEY + "trailing", Identity.KEY_BEGIN + Identity.KEY_END, Identity.KEY_BEGIN + "\nAAAAé\n" + Identity.KEY_END)) {
            bad.add(Arguments.of("host_key", v));
        }
        for (String v : List.of("ssh-rsa AAAA", "ssh-ed25519", "ssh-ed25519 ", "ssh-ed25519 AAAA ", "ssh-ed25519 AAAA c4 extra",
                "ssh-ed25519 AAAA\nssh-ed25519 BBBB", "ssh-ed25519 AA!A", PUB + "\n\n", "ssh-ed25519  AAAA", " " + PUB,
                "ssh-ed25519 AAAA c4\r", "ssh-ed25519 " + "A".repeat(Identity.MAX_PUBLIC_KEY_CHARS), "ssh-ed25519\tAAAA")) {
            bad.add(Arguments.of("host_key_pub", v));
        }
        return bad.stream();
    }

    @ParameterizedTest
    @MethodSource("badValues")
    void aBadValueIsAnErrorNamingItsFieldAndNothingIsDone(String key, Object value) throws Exception {
        JsonNode reply = answer(with(key, value));
        assertThat(reply.path("ok").asBoolean()).isFalse();
        assertThat(reply.path("error").asText()).contains("'" + key + "'");
        if (key.equals("host_key") || key.equals("token")) {
            assertThat(reply.path("error").asText()).as("a secret is not quoted back").doesNotContain("AAAA").doesNotContain("0123456789");
        }
        assertThat(steps.calls).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"null", "42", "\"\"", "\"not base64!\"", "\"AAAA AAAA\"", "\"AAAAA\"", "\"AAAA\""})
    void aBadEntropyIsAnErrorAndNothingIsDone(String entropy) throws Exception {
        JsonNode reply = answer(with("entropy", JSON.readTree(entropy)));
        assertThat(reply.path("ok").asBoolean()).isFalse();
        assertThat(reply.path("error").asText()).contains("'entropy'");
        assertThat(steps.calls).isEmpty();
    }

    @Test
    void entropyBeyondItsBoundIsRefusedBeforeDecodingAndJustBelowAfterAndItsSmallestAndLargestAreTaken() throws Exception {
        assertThat(answer(with("entropy", "A".repeat(60_000))).path("error").asText())
                .contains("at most " + Identity.MAX_ENTROPY_TEXT + " characters");
        assertThat(answer(with("entropy", base64(513))).path("error").asText()).contains("'entropy' must be 32 to 512 bytes");
        assertThat(answer(with("entropy", base64(31))).path("error").asText()).contains("not 31");
        assertThat(answer(with("entropy", ABSENT)).path("error").asText()).contains("'entropy' is required");
        assertThat(steps.calls).isEmpty();
        steps.reseeds = false;
        assertThat(answer(with("entropy", base64(32))).at("/result/reseeded").asBoolean()).as("not fatal").isFalse();
        assertThat(steps.entropy).hasSize(32);
        assertThat(answer(with("entropy", base64(512))).path("ok").asBoolean()).isTrue();
        assertThat(steps.entropy).hasSize(512);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ",\"time_ns\":0", ",\"time_ns\":-1", ",\"time_ns\":\"1767225600123456789\"", ",\"time_ns\":1.5",
        ",\"time_ns\":true", ",\"time_ns\":null", ",\"time_ns\":9223372036854775808", ",\"time_ns\":12345678901234567890"})
    void aBadTimeIsAnErrorAndNothingIsDone(String time) throws Exception {
        Map<String, Object> f = fields();
        f.remove("time_ns");
        String json = JSON.writeValueAsString(f);
        String request = json.substring(0, json.length() - 1) + time + "}";
        JsonNode reply;
        try {
            reply = answer(request);
        } catch (IllegalArgumentException e) {
            // not JSON the agent reads (a fraction, beyond 64 bits): the service answers "not a request: ..."
            assertThat(steps.calls).isEmpty();
            return;
        }
        assertThat(reply.path("ok").asBoolean()).isFalse();
        assertThat(reply.path("error").asText()).contains("'time_ns'");
        assertThat(steps.calls).isEmpty();
    }

    @Test
    void theStandInRequestIsValid() {
        Identity.Asked a = asked(Identity.STAND_IN_REQUEST);
        assertThat(a.hostname()).isEqualTo("stand-in");
        assertThat(a.hostKey()).startsWith(Identity.KEY_BEGIN + "\n").endsWith(Identity.KEY_END + "\n");
    }

    // --- pure parts: the batch, /etc/hosts, resolv.conf -----------------------------------------------

    @Test
    void theBatchReaddressesTheNicInOneIpRun() throws Exception {
        assertThat(Identity.batch("eth0", asked(JSON.writeValueAsString(fields())))).containsExactly(
                "address flush dev eth0",
                "link set dev eth0 down",
                "link set dev eth0 address 02:58:0e:65:38:ca",
                "link set dev eth0 up",
                "address add 172.29.0.6/24 dev eth0",
                "route replace default via 172.29.0.1 dev eth0",
                "neigh flush all");
    }

    @Test
    void hostsKeepsEveryLineButThe127011OneWhichNamesThisVm() {
        String debian = "127.0.0.1\tlocalhost\n127.0.1.1\tparent\n\n# The following lines are desirable for IPv6 capable hosts\n"
                + "::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\n";
        assertThat(Identity.hosts(debian, "c4")).isEqualTo("127.0.0.1\tlocalhost\n\n# The following lines are desirable for IPv6 capable hosts\n"
                + "::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\n127.0.1.1\tc4\n");
        assertThat(Identity.hosts("127.0.1.1 a\n10.0.0.1 b\n127.0.1.1\tc\n127.0.1.10 ten\n127.0.1.1\n#127.0.1.1 x", "c4"))
                .as("every 127.0.1.1 line goes (a blank after it), 127.0.1.10 and a bare address stay, a last line without newline is kept")
                .isEqualTo("10.0.0.1 b\n127.0.1.10 ten\n127.0.1.1\n#127.0.1.1 x\n127.0.1.1\tc4\n");
        assertThat(Identity.hosts(null, "c4")).isEqualTo("127.0.1.1\tc4\n");
        assertThat(Identity.hosts("", "c4")).isEqualTo("127.0.1.1\tc4\n");
        String done = Identity.hosts(debian, "c4");
        assertThat(Identity.hosts(done, "c4")).as("idempotent").isEqualTo(done);
    }

    @Test
    void resolvConfNamesTheOneServerAndItsServersAreRead() {
        assertThat(Identity.resolvConf("172.29.0.1")).startsWith("# written by banger").endsWith("\nnameserver 172.29.0.1\n");
        assertThat(Identity.nameservers(Identity.resolvConf("172.29.0.1"))).containsExactly("172.29.0.1");
        assertThat(Identity.nameservers("# x\nsearch vm\nnameserver 1.1.1.1\n  nameserver\t8.8.8.8  \nnameservers 9.9.9.9\noptions x\n"))
                .containsExactly("1.1.1.1", "8.8.8.8");
        assertThat(Identity.nameservers("")).isEmpty();
    }

    // --- the real steps over a guest tree of the test's own -------------------------------------------

    /** A guest's files as a booted parent left them, under dir/guest: apply-config's, the parent's identity. */
    private Path guest() throws IOException {
        Path root = dir.resolve("guest");
        write(root.resolve("proc/sys/kernel/hostname"), "parent\n");
        write(root.resolve("etc/hostname"), "parent\n");
        write(root.resolve("etc/hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\tparent\n::1\tlocalhost\n");
        write(root.resolve("etc/resolv.conf"), Identity.resolvConf("172.29.0.9"));
        write(root.resolve("etc/ssh/ssh_host_ed25519_key"), "the parent's key\n");
        write(root.resolve("etc/ssh/ssh_host_ed25519_key.pub"), "ssh-ed25519 PARENT parent\n");
        write(root.resolve("etc/machine-id"), "0".repeat(31) + "9\n");
        write(root.resolve("var/lib/dbus/machine-id"), "0".repeat(31) + "9\n");
        write(root.resolve("run/banger/agent-token"), "the parent's token\n");
        write(root.resolve("run/banger/nic"), "eth0\n");
        write(root.resolve("sys/class/net/eth0/address"), "02:00:00:00:00:01\n");
        write(root.resolve("sys/class/net/lo/address"), "00:00:00:00:00:00\n");
        return root;
    }

    private static Path write(Path p, String text) throws IOException {
        Files.createDirectories(p.getParent());
        return Files.writeString(p, text);
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private static Object inode(Path p) throws IOException {
        return Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void theFilesAreWrittenWithTheirModesAndNoTemporaryIsLeft() throws Exception {
        Path root = guest();
        new IdentitySteps(root, List.of()).files(asked(JSON.writeValueAsString(fields())));
        assertThat(Files.readString(root.resolve("proc/sys/kernel/hostname"))).as("a plain write, no newline").isEqualTo("c4");
        assertThat(Files.readString(root.resolve("etc/hostname"))).isEqualTo("c4\n");
        assertThat(Files.readString(root.resolve("etc/hosts"))).isEqualTo("127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.1.1\tc4\n");
        assertThat(Files.readString(root.resolve("etc/resolv.conf"))).isEqualTo(Identity.resolvConf("172.29.0.1"));
        assertThat(Files.readString(root.resolve("etc/ssh/ssh_host_ed25519_key"))).isEqualTo(KEY);
        assertThat(Files.readString(root.resolve("etc/ssh/ssh_host_ed25519_key.pub"))).isEqualTo(PUB + "\n");
        assertThat(Files.readString(root.resolve("run/banger/agent-token"))).isEqualTo(TOKEN + "\n");
        assertThat(Files.readString(root.resolve("etc/machine-id"))).isEqualTo(MACHINE_ID + "\n");
        assertThat(Files.readString(root.resolve("var/lib/dbus/machine-id"))).isEqualTo(MACHINE_ID + "\n");
        assertThat(mode(root.resolve("etc/hostname"))).isEqualTo("rw-r--r--");
        assertThat(mode(root.resolve("etc/hosts"))).isEqualTo("rw-r--r--");
        assertThat(mode(root.resolve("etc/resolv.conf"))).isEqualTo("rw-r--r--");
        assertThat(mode(root.resolve("etc/ssh/ssh_host_ed25519_key"))).isEqualTo("rw-------");
        assertThat(mode(root.resolve("etc/ssh/ssh_host_ed25519_key.pub"))).isEqualTo("rw-r--r--");
        assertThat(mode(root.resolve("run/banger/agent-token"))).isEqualTo("rw-------");
        assertThat(mode(root.resolve("etc/machine-id"))).isEqualTo("r--r--r--");
        assertThat(mode(root.resolve("var/lib/dbus/machine-id"))).isEqualTo("r--r--r--");
        try (Stream<Path> all = Files.walk(root)) {
            assertThat(all.filter(p -> p.toString().endsWith(IdentitySteps.TEMP_SUFFIX)).toList()).isEmpty();
        }
    }

    @Test
    void filesAlreadyRightAreLeftAloneAndAMissingTokenIsRemoved() throws Exception {
        Path root = guest();
        write(root.resolve("etc/hostname"), "c4\n");
        write(root.resolve("etc/hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\tc4\n");
        write(root.resolve("etc/resolv.conf"), "# the image's own\nsearch vm\nnameserver 172.29.0.1\n");
        Files.delete(root.resolve("var/lib/dbus/machine-id"));
        Object hostname = inode(root.resolve("etc/hostname"));
        Object hosts = inode(root.resolve("etc/hosts"));
        Object resolv = inode(root.resolve("etc/resolv.conf"));
        new IdentitySteps(root, List.of()).files(asked(with("token", ABSENT)));
        assertThat(inode(root.resolve("etc/hostname"))).isEqualTo(hostname);
        assertThat(inode(root.resolve("etc/hosts"))).isEqualTo(hosts);
        assertThat(inode(root.resolve("etc/resolv.conf"))).as("its nameserver is the one already").isEqualTo(resolv);
        assertThat(Files.readString(root.resolve("etc/resolv.conf"))).startsWith("# the image's own");
        assertThat(root.resolve("run/banger/agent-token")).doesNotExist();
        assertThat(root.resolve("var/lib/dbus/machine-id")).as("only where it is a file of its own").doesNotExist();
        assertThat(Files.readString(root.resolve("etc/machine-id"))).isEqualTo(MACHINE_ID + "\n");
    }

    @Test
    void aLinkAtATargetIsReplacedByAFileNeverWrittenThrough() throws Exception {
        Path root = guest();
        Path outside = dir.resolve("outside");
        Path stub = write(outside.resolve("stub-resolv.conf"), "nameserver 172.29.0.1\n");
        Path key = write(outside.resolve("key"), "not to be touched\n");
        Path realHosts = write(outside.resolve("hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\tparent\n");
        Path dbusTarget = write(outside.resolve("machine-id"), "kept\n");
        for (String p : List.of("etc/resolv.conf", "etc/ssh/ssh_host_ed25519_key", "etc/hosts", "var/lib/dbus/machine-id")) {
            Files.delete(root.resolve(p));
        }
        Files.createSymbolicLink(root.resolve("etc/resolv.conf"), stub);
        Files.createSymbolicLink(root.resolve("etc/ssh/ssh_host_ed25519_key"), key);
        Files.createSymbolicLink(root.resolve("etc/hosts"), realHosts);
        Files.createSymbolicLink(root.resolve("var/lib/dbus/machine-id"), dbusTarget);
        new IdentitySteps(root, List.of()).files(asked(JSON.writeValueAsString(fields())));
        assertThat(Files.isSymbolicLink(root.resolve("etc/resolv.conf"))).as("replaced, even though it names the server").isFalse();
        assertThat(Files.readString(root.resolve("etc/resolv.conf"))).isEqualTo(Identity.resolvConf("172.29.0.1"));
        assertThat(Files.isSymbolicLink(root.resolve("etc/ssh/ssh_host_ed25519_key"))).isFalse();
        assertThat(Files.readString(root.resolve("etc/ssh/ssh_host_ed25519_key"))).isEqualTo(KEY);
        assertThat(Files.isSymbolicLink(root.resolve("etc/hosts"))).isFalse();
        assertThat(Files.readString(root.resolve("etc/hosts"))).as("the link's lines kept").isEqualTo("127.0.0.1\tlocalhost\n127.0.1.1\tc4\n");
        assertThat(Files.isSymbolicLink(root.resolve("var/lib/dbus/machine-id"))).as("a link is not D-Bus's own file").isTrue();
        assertThat(Files.readString(stub)).isEqualTo("nameserver 172.29.0.1\n");
        assertThat(Files.readString(key)).isEqualTo("not to be touched\n");
        assertThat(Files.readString(realHosts)).isEqualTo("127.0.0.1\tlocalhost\n127.0.1.1\tparent\n");
        assertThat(Files.readString(dbusTarget)).isEqualTo("kept\n");
    }

    @Test
    void aFileThatCannotBeWrittenLeavesEveryTargetAsItWas() throws Exception {
        Path root = guest();
        write(root.resolve("etc/machine-id" + IdentitySteps.TEMP_SUFFIX + "/in-the-way"), "a directory where the temporary goes\n");
        assertThatThrownBy(() -> new IdentitySteps(root, List.of()).files(asked(JSON.writeValueAsString(fields()))))
                .isInstanceOf(IOException.class);
        assertThat(Files.readString(root.resolve("etc/hostname"))).isEqualTo("parent\n");
        assertThat(Files.readString(root.resolve("etc/ssh/ssh_host_ed25519_key"))).isEqualTo("the parent's key\n");
        assertThat(Files.readString(root.resolve("run/banger/agent-token"))).isEqualTo("the parent's token\n");
        assertThat(root.resolve("etc/hostname" + IdentitySteps.TEMP_SUFFIX)).doesNotExist();
        assertThat(root.resolve("etc/ssh/ssh_host_ed25519_key" + IdentitySteps.TEMP_SUFFIX)).doesNotExist();
    }

    /** An executable of the test's own standing for ip: it prints its arguments and the batch it was given. */
    private Path fakeIp(String body) throws IOException {
        return script("echo \"ip $*\"; cat \"$3\"; " + body);
    }

    @Test
    void theNetworkStepWritesTheBatchAndRunsIpOnceOnIt() throws Exception {
        Path root = guest();
        write(root.resolve("run/banger/nic"), "eth1\n");
        write(root.resolve("sys/class/net/eth1/address"), "02:00:00:00:00:02\n");
        Path ip = fakeIp("exit 0");
        Identity.Networked net = new IdentitySteps(root, List.of(dir.resolve("no-ip"), ip))
                .network(asked(JSON.writeValueAsString(fields())));
        Path batch = root.resolve("run/banger/identity.ip");
        String lines = "address flush dev eth1\nlink set dev eth1 down\nlink set dev eth1 address 02:58:0e:65:38:ca\nlink set dev eth1 up\n"
                + "address add 172.29.0.6/24 dev eth1\nroute replace default via 172.29.0.1 dev eth1\nneigh flush all\n";
        assertThat(net.nic()).as("the one apply-config recorded").isEqualTo("eth1");
        assertThat(net.status()).isZero();
        assertThat(net.log()).isEqualTo("ip -4 -batch " + batch + "\n" + lines);
        assertThat(Files.readString(batch)).isEqualTo(lines);
        assertThat(mode(batch)).isEqualTo("rw-------");
    }

    @Test
    void ipsStatusAndOutputAreTheAnswersAndALongOutputIsCut() throws Exception {
        Path root = guest();
        Path ip = script("i=0; while [ $i -lt 2000 ]; do echo \"RTNETLINK answers: line $i\" >&2; i=$((i+1)); done; exit 2");
        Identity.Networked net = new IdentitySteps(root, List.of(ip)).network(asked(JSON.writeValueAsString(fields())));
        assertThat(net.status()).isEqualTo(2);
        assertThat(net.log().getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(Identity.LOG_BYTES);
        assertThat(net.log()).endsWith("line 1999\n");
    }

    @Test
    void withoutARecordedNicTheOneInterfaceWithAMacIsTaken() throws Exception {
        Path root = guest();
        Files.delete(root.resolve("run/banger/nic"));
        write(root.resolve("sys/class/net/sit0/address"), "00:00:00:00\n");
        write(root.resolve("sys/class/net/tunl0/address"), "00:00:00:00:00:00\n");
        assertThat(new IdentitySteps(root, List.of()).nic()).isEqualTo("eth0");
        write(root.resolve("run/banger/nic"), "eth9\n");
        assertThat(new IdentitySteps(root, List.of()).nic()).as("the recorded one is gone").isEqualTo("eth0");
        write(root.resolve("run/banger/nic"), "eth0 up\n");
        assertThat(new IdentitySteps(root, List.of()).nic()).as("not a name: the lookup instead").isEqualTo("eth0");
        write(root.resolve("sys/class/net/eth1/address"), "02:00:00:00:00:02\n");
        assertThatThrownBy(() -> new IdentitySteps(root, List.of()).nic()).isInstanceOf(IOException.class).hasMessageContaining("2 interfaces");
        write(root.resolve("run/banger/nic"), "eth1\n");
        assertThat(new IdentitySteps(root, List.of()).nic()).isEqualTo("eth1");
    }

    @Test
    void noNicOrNoIpIsAnErrorAndIpIsNeverBusybox() throws Exception {
        Path root = guest();
        Files.delete(root.resolve("run/banger/nic"));
        Files.delete(root.resolve("sys/class/net/eth0/address"));
        assertThatThrownBy(() -> new IdentitySteps(root, List.of(fakeIp(""))).network(asked(JSON.writeValueAsString(fields()))))
                .isInstanceOf(IOException.class).hasMessageContaining("no NIC");
        Path busybox = script("echo busybox");
        Path renamed = Files.move(busybox, busybox.resolveSibling("busybox"));
        Path applet = Files.createSymbolicLink(dir.resolve("ip-applet"), renamed);
        Path notExecutable = write(dir.resolve("ip-not-executable"), "#!/bin/sh\n");
        assertThatThrownBy(() -> new IdentitySteps(root, List.of(dir.resolve("missing"), applet, notExecutable)).ipProgram())
                .isInstanceOf(IOException.class).hasMessageContaining("no iproute2 ip");
        Path ip = fakeIp("");
        assertThat(new IdentitySteps(root, List.of(applet, ip)).ipProgram()).isEqualTo(ip);
    }

    @Test
    void sshdIsReloadedOnlyWhenItsPidFileNamesAnSshd() throws Exception {
        Path root = guest();
        IdentitySteps steps = new IdentitySteps(root, List.of());
        assertThat(steps.reloadSshd()).as("no pid file").isEqualTo("absent");
        write(root.resolve("run/sshd.pid"), "not a pid\n");
        assertThat(steps.reloadSshd()).isEqualTo("absent");
        write(root.resolve("run/sshd.pid"), "1\n");
        write(root.resolve("proc/1/comm"), "sshd\n");
        assertThat(steps.reloadSshd()).as("never init").isEqualTo("absent");
        // Started as the agent starts commands (signals at their defaults, whatever this JVM ignores), so SIGHUP ends it.
        Spawned sleep = Spawned.start(new Launch.Prepared(List.of("sleep", "60"), Launch.baseEnvironment("root", "/"), "/", null),
                new Spawn.Log());
        try {
            write(root.resolve("run/sshd.pid"), sleep.pid() + "\n");
            write(root.resolve("proc/" + sleep.pid() + "/comm"), "sleep\n");
            assertThat(steps.reloadSshd()).as("not sshd: not signalled").isEqualTo("absent");
            assertThat(sleep.alive()).isTrue();
            write(root.resolve("proc/" + sleep.pid() + "/comm"), "sshd\n");
            assertThat(steps.reloadSshd()).isEqualTo("reloaded");
            assertThat(sleep.exit().get(10, TimeUnit.SECONDS)).as("SIGHUP").isEqualTo(dev.banger.channel.Exec.Exit.killedBy(1));
            assertThat(steps.reloadSshd()).as("gone since").isEqualTo("absent");
        } finally {
            sleep.signalGroup(9);
        }
    }

    @Test
    void theWarmUpHasNoEffectAndReadsTheEntropyCount() throws Exception {
        assertThat(IdentitySteps.warm(Identity.STAND_IN_REQUEST)).isNotNegative();
    }

    // --- the bounded program runner, on scripts of the test's own -------------------------------------

    private Path script(String body) throws IOException {
        Path s = dir.resolve("script-" + System.nanoTime());
        Files.writeString(s, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwx------"));
        return s;
    }

    @Test
    void theTailKeepsTheLastBytesInOrder() {
        IdentitySteps.Tail tail = new IdentitySteps.Tail(8);
        assertThat(tail.text()).isEmpty();
        tail.append("abc".getBytes(StandardCharsets.UTF_8), 3);
        assertThat(tail.text()).isEqualTo("abc");
        tail.append("defghij".getBytes(StandardCharsets.UTF_8), 7);
        assertThat(tail.text()).isEqualTo("cdefghij");
        tail.append("0123456789xyz".getBytes(StandardCharsets.UTF_8), 13);
        assertThat(tail.text()).as("more than the capacity at once").isEqualTo("56789xyz");
        tail.append("!".getBytes(StandardCharsets.UTF_8), 1);
        assertThat(tail.text()).isEqualTo("6789xyz!");
    }

    @Test
    void theProgramsStatusAndItsOutputAndErrorsInTheOrderWritten() throws Exception {
        Identity.Ran ran = IdentitySteps.run(List.of(script("echo 'one'; echo 'oops' >&2; echo 'two'; exit 3").toString()),
                10_000, Identity.LOG_BYTES);
        assertThat(ran.status()).isEqualTo(3);
        assertThat(ran.log()).isEqualTo("one\noops\ntwo\n");
    }

    @Test
    void aProgramThatRunsTooLongIsKilledWithItsGroup() throws Exception {
        Path pid = dir.resolve("bg.pid");
        long t0 = System.nanoTime();
        Identity.Ran ran = IdentitySteps.run(List.of(script("echo started; sleep 30 & echo $! > " + pid + "; wait").toString()), 500,
                Identity.LOG_BYTES);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        assertThat(ran.status()).as("SIGKILL").isEqualTo(137);
        assertThat(ran.log()).startsWith("started\n").contains("did not finish within 500 ms: killed");
        long bg = Long.parseLong(Files.readString(pid).strip());
        assertThat(ServiceTest.await(() -> ProcessHandle.of(bg).map(h -> !h.isAlive()).orElse(true))).as("its background sleep").isTrue();
    }

    @Test
    void aProcessLeftHoldingTheOutputDoesNotHoldTheAnswer() throws Exception {
        Path pid = dir.resolve("bg.pid");
        long t0 = System.nanoTime();
        Identity.Ran ran = IdentitySteps.run(List.of(script("sleep 20 & echo $! > " + pid + "; echo done").toString()), 10_000,
                Identity.LOG_BYTES);
        try {
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            assertThat(ran.status()).isZero();
            assertThat(ran.log()).startsWith("done\n").contains("the output is still open");
        } finally {
            ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void aProgramThatIsNotThereOrNotExecutableEndsAsAShellSaysSo() throws Exception {
        Identity.Ran missing = IdentitySteps.run(List.of(dir.resolve("no-such-program").toString()), 10_000, Identity.LOG_BYTES);
        assertThat(missing.status()).isEqualTo(127);
        assertThat(missing.log()).contains("no-such-program").contains("No such file");
        Path notExecutable = Files.writeString(dir.resolve("not-executable"), "#!/bin/sh\necho never\n");
        Identity.Ran denied = IdentitySteps.run(List.of(notExecutable.toString()), 10_000, Identity.LOG_BYTES);
        assertThat(denied.status()).isEqualTo(126);
        assertThat(denied.log()).contains("Permission denied");
    }
}
