package dev.banger.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one mapper both sides use: strict on what it reads, and it reads back all it writes. */
class JsonTest {
    private static final VmRecord VM = new VmRecord("d257d58ff63c",
            new VmSpec("demo", "debian-bookworm", 2, 1024, 0, 4096, "qemu"),
            new VmRuntime(VmState.RUNNING, "172.29.0.2", "/v/api.sock", "/v/vsock.sock", 3, "/v/console.log", "/v/metrics.json",
                    "demo.vm", "/v", "/v/root.qcow2", "/v/work.img", null),
            Instant.parse("2026-11-29T15:31:27.281612488Z"), Instant.parse("2026-11-29T15:31:27.303863070Z"));

    @Test
    void whatTheDaemonWritesTheCliReadsBack() throws Exception {
        String line = RpcResponse.successLine(Json.MAPPER.getNodeFactory().numberNode(1), new Params.VmList(List.of(VM)));

        RpcResponse response = Json.MAPPER.readValue(line, RpcResponse.class);
        Params.VmList list = Json.MAPPER.treeToValue(response.result(), Params.VmList.class);

        assertThat(list.vms()).containsExactly(VM);
        assertThat(line).contains("\"state\":\"running\"").contains("\"created_at\":\"2026-11-29T15:31:27.281612488Z\"");
    }

    @Test
    void anErrorReplyReadsBackAsTheSameError() throws Exception {
        String line = Json.line(RpcResponse.failure(Json.MAPPER.nullNode(),
                RpcError.of(ErrorCode.RESOURCE_EXHAUSTED, "too many connections from nobody (uid 65534)")));

        BangerException e = Json.MAPPER.readValue(line, RpcResponse.class).error().toException();

        assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        assertThat(e).hasMessage("too many connections from nobody (uid 65534)");
    }

    @Test
    void noScalarIsCoercedIntoAnother() {
        for (String json : List.of("{\"vm\":1}", "{\"vm\":true}", "{\"vm\":1e400}", "{\"vm\":\"a\",\"force\":\"true\"}",
                "{\"vm\":\"a\",\"force\":0}")) {
            assertThatThrownBy(() -> Json.MAPPER.readValue(json, Params.VmDelete.class)).as(json)
                    .isInstanceOf(MismatchedInputException.class);
        }
        for (String json : List.of("{\"vcpus\":\"2\"}", "{\"vcpus\":2.0}", "{\"vcpus\":1e400}", "{\"vcpus\":false}", "{\"vcpus\":\"\"}")) {
            assertThatThrownBy(() -> Json.MAPPER.readValue(json, Params.VmCreate.class)).as(json)
                    .isInstanceOf(MismatchedInputException.class);
        }
    }

    @Test
    void aKeyGivenTwiceIsRefusedWhetherReadAsATreeOrAsARecord() {
        assertThatThrownBy(() -> Json.MAPPER.readTree("{\"a\":1,\"a\":2}"))
                .isInstanceOf(JsonProcessingException.class).hasMessageContaining("Duplicate field 'a'");
        assertThatThrownBy(() -> Json.MAPPER.readValue("{\"vm\":\"a\",\"vm\":\"b\"}", Params.VmRef.class))
                .isInstanceOf(JsonProcessingException.class).hasMessageContaining("Duplicate field 'vm'");
    }
}
