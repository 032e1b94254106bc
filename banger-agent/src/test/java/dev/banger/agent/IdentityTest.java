package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The identity op: its request checked before anything is done, its three steps in order, its answer. The
 * kernel steps are {@link Recording}'s: the real ones would reseed the RNG and set the clock of the machine
 * running the test. Only the bounded script runner is real, on scripts of the test's own.
 */
@Timeout(60)
class IdentityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** 2026-01-01T00:00:00.123456789Z: 19 digits, as every time in ns since the epoch after 2001. */
    private static final long TIME_NS = 1_767_225_600_123_456_789L;

    /** Steps that record what they were asked, in order, and answer what the test set (or fail as it set). */
    static final class Recording implements Identity.Steps {
        final List<String> calls = new ArrayList<>();
        byte[] entropy;
        long time;
        boolean reseeds = true;
        long correction = -1_234_567_890L;
        Identity.Ran ran = new Identity.Ran(0, "banger: reidentified\n");
        IOException failReseed;
        IOException failClock;

        @Override
        public boolean reseed(byte[] entropy) throws IOException {
            calls.add("reseed");
            this.entropy = entropy.clone();
            if (failReseed != null) {
                throw failReseed;
            }
            return reseeds;
        }

        @Override
        public long setClock(long epochNanos) throws IOException {
            calls.add("clock");
            time = epochNanos;
            if (failClock != null) {
                throw failClock;
            }
            return correction;
        }

        @Override
        public Identity.Ran reidentify() {
            calls.add("reidentify");
            return ran;
        }
    }

    private final Recording steps = new Recording();

    private JsonNode answer(String request) throws Exception {
        Map<String, Object> reply = Identity.answer(Request.parse(request.getBytes(StandardCharsets.UTF_8)), steps);
        return JSON.readTree(Json.write(reply)); // what the host reads: the agent's JSON, parsed by Jackson
    }

    private static String request(String entropy, String time) {
        return "{\"op\":\"identity\"" + (entropy == null ? "" : ",\"entropy\":" + entropy) + (time == null ? "" : ",\"time_ns\":" + time) + "}";
    }

    private static String base64(int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (i * 7 + 1);
        }
        return "\"" + Base64.getEncoder().encodeToString(b) + "\"";
    }

    @Test
    void theStepsRunInOrderWithTheRequestsValuesAndTheAnswerHasTheirResults() throws Exception {
        JsonNode reply = answer(request(base64(64), Long.toString(TIME_NS)));
        assertThat(steps.calls).containsExactly("reseed", "clock", "reidentify");
        assertThat(steps.entropy).isEqualTo(Base64.getDecoder().decode(base64(64).replace("\"", "")));
        assertThat(steps.time).isEqualTo(TIME_NS);
        assertThat(reply.path("ok").asBoolean()).isTrue();
        JsonNode result = reply.path("result");
        List<String> names = new ArrayList<>();
        result.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("reseeded", "clock_corrected_ms", "status", "log");
        assertThat(result.path("reseeded").isBoolean()).isTrue();
        assertThat(result.path("reseeded").asBoolean()).isTrue();
        assertThat(result.path("clock_corrected_ms").isIntegralNumber()).isTrue();
        assertThat(result.path("clock_corrected_ms").asLong()).as("ns to ms, toward zero").isEqualTo(-1234);
        assertThat(result.path("status").asInt()).isZero();
        assertThat(result.path("log").asText()).isEqualTo("banger: reidentified\n");
    }

    @Test
    void theSmallestAndLargestEntropyAreTakenAndAKernelThatCannotReseedIsReportedNotFatal() throws Exception {
        steps.reseeds = false;
        assertThat(answer(request(base64(32), "1")).at("/result/reseeded").asBoolean()).isFalse();
        assertThat(steps.entropy).hasSize(32);
        assertThat(answer(request(base64(512), "1")).path("ok").asBoolean()).isTrue();
        assertThat(steps.entropy).hasSize(512);
        assertThat(steps.time).isEqualTo(1);
    }

    @Test
    void aFailingScriptIsStillAnAnswerWithItsStatus() throws Exception {
        steps.ran = new Identity.Ran(1, "banger: no network interface has MAC 02:00:00:00:00:01\n");
        JsonNode reply = answer(request(base64(32), Long.toString(TIME_NS)));
        assertThat(reply.path("ok").asBoolean()).as("the host decides").isTrue();
        assertThat(reply.at("/result/status").asInt()).isEqualTo(1);
        assertThat(reply.at("/result/log").asText()).contains("no network interface");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"op\":\"identity\",\"time_ns\":1}",                                   // no entropy
        "{\"op\":\"identity\",\"entropy\":null,\"time_ns\":1}",                  // null is none
        "{\"op\":\"identity\",\"entropy\":42,\"time_ns\":1}",                    // not a string
        "{\"op\":\"identity\",\"entropy\":\"\",\"time_ns\":1}",                  // empty
        "{\"op\":\"identity\",\"entropy\":\"not base64!\",\"time_ns\":1}",        // undecodable
        "{\"op\":\"identity\",\"entropy\":\"AAAA AAAA\",\"time_ns\":1}",          // a space
        "{\"op\":\"identity\",\"entropy\":\"AAAAA\",\"time_ns\":1}",             // a cut group
        "{\"op\":\"identity\",\"entropy\":\"AAAA\",\"time_ns\":1}"               // 3 bytes
    })
    void aBadEntropyIsAnErrorAndNothingIsDone(String request) throws Exception {
        JsonNode reply = answer(request);
        assertThat(reply.path("ok").asBoolean()).isFalse();
        assertThat(reply.path("error").asText()).contains("'entropy'");
        assertThat(steps.calls).isEmpty();
    }

    @Test
    void entropyBeyondItsBoundIsRefusedBeforeDecodingAndJustBelowAfter() throws Exception {
        JsonNode huge = answer(request("\"" + "A".repeat(60_000) + "\"", "1"));
        assertThat(huge.path("error").asText()).contains("at most " + Identity.MAX_ENTROPY_TEXT + " characters");
        JsonNode over = answer(request(base64(513), "1"));
        assertThat(over.path("ok").asBoolean()).isFalse();
        assertThat(over.path("error").asText()).contains("'entropy' must be 32 to 512 bytes");
        JsonNode short31 = answer(request(base64(31), "1"));
        assertThat(short31.path("error").asText()).contains("not 31");
        assertThat(steps.calls).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ",\"time_ns\":0", ",\"time_ns\":-1", ",\"time_ns\":\"1767225600123456789\"", ",\"time_ns\":1.5",
        ",\"time_ns\":true", ",\"time_ns\":null", ",\"time_ns\":9223372036854775808", ",\"time_ns\":12345678901234567890"})
    void aBadTimeIsAnErrorAndNothingIsDone(String time) throws Exception {
        String request = "{\"op\":\"identity\",\"entropy\":" + base64(32) + time + "}";
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
    void aFailedReseedStopsEverythingAndAFailedClockStopsTheScript() throws Exception {
        steps.failReseed = new IOException("ioctl(RNDADDENTROPY) failed: errno 1");
        JsonNode reseed = answer(request(base64(32), "1"));
        assertThat(reseed.path("ok").asBoolean()).isFalse();
        assertThat(reseed.path("error").asText()).contains("errno 1").contains("nothing else done");
        assertThat(steps.calls).containsExactly("reseed");

        steps.calls.clear();
        steps.failReseed = null;
        steps.failClock = new IOException("clock_settime failed: errno 1");
        JsonNode clock = answer(request(base64(32), "1"));
        assertThat(clock.path("ok").asBoolean()).isFalse();
        assertThat(clock.path("error").asText()).contains("cannot set the clock").contains("reidentify not run");
        assertThat(steps.calls).containsExactly("reseed", "clock");
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

    // --- the real script runner, on the test's own scripts ---------------------------------------

    @TempDir
    Path dir;

    private Path script(String body) throws IOException {
        Path s = dir.resolve("script-" + System.nanoTime());
        Files.writeString(s, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwx------"));
        return s;
    }

    @Test
    void theScriptsStatusAndItsOutputAndErrorsInTheOrderWritten() throws Exception {
        Identity.Ran ran = IdentitySteps.run(List.of(script("echo 'banger: one'; echo 'oops' >&2; echo 'banger: two'; exit 3").toString()),
                10_000, Identity.LOG_BYTES);
        assertThat(ran.status()).isEqualTo(3);
        assertThat(ran.log()).isEqualTo("banger: one\noops\nbanger: two\n");
    }

    @Test
    void onlyTheLastBytesOfALongOutputAreKept() throws Exception {
        Identity.Ran ran = IdentitySteps.run(List.of(script("i=0; while [ $i -lt 5000 ]; do echo \"line $i\"; i=$((i+1)); done").toString()),
                30_000, Identity.LOG_BYTES);
        assertThat(ran.status()).isZero();
        assertThat(ran.log().getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(Identity.LOG_BYTES);
        assertThat(ran.log()).endsWith("line 4998\nline 4999\n").doesNotContain("line 1\n");
    }

    @Test
    void aScriptThatRunsTooLongIsKilledWithItsGroup() throws Exception {
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
    void aScriptThatIsNotThereOrNotExecutableEndsAsAShellSaysSo() throws Exception {
        Identity.Ran missing = IdentitySteps.run(List.of(dir.resolve("no-such-script").toString()), 10_000, Identity.LOG_BYTES);
        assertThat(missing.status()).isEqualTo(127);
        assertThat(missing.log()).contains("no-such-script").contains("No such file");
        Path notExecutable = Files.writeString(dir.resolve("not-executable"), "#!/bin/sh\necho never\n");
        Identity.Ran denied = IdentitySteps.run(List.of(notExecutable.toString()), 10_000, Identity.LOG_BYTES);
        assertThat(denied.status()).isEqualTo(126);
        assertThat(denied.log()).contains("Permission denied");
    }
}
