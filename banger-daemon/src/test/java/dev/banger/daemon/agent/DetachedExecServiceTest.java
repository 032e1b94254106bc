package dev.banger.daemon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Json;
import dev.banger.api.Params;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What bangerd makes of a guest agent's answers about detached processes: the guest is untrusted, so the list
 * is read field by field and anything out of shape is refused whole; an agent's refusal keeps its kind only
 * from a fixed set.
 */
class DetachedExecServiceTest {
    private static final String RUNNING = "{\"id\":\"0badc0de\",\"pid\":321,\"argv\":[\"sleep\",\"60\"],\"state\":\"running\","
            + "\"exit_status\":null,\"age_ms\":1500,\"ended_ms_ago\":null,\"stdin\":false,\"attached\":true,"
            + "\"stdout_dropped\":0,\"stderr_dropped\":7}";
    private static final String EXITED = "{\"id\":\"00000001\",\"pid\":322,\"argv\":[\"sh\",\"-c\",\"exit 3\"],\"state\":\"exited\","
            + "\"exit_status\":3,\"age_ms\":9000,\"ended_ms_ago\":100,\"stdin\":true,\"attached\":false,"
            + "\"stdout_dropped\":0,\"stderr_dropped\":0}";

    private static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }

    private static Params.ExecProcesses parse(String processes) throws Exception {
        return DetachedExecService.processes("demo", json("{\"processes\":[" + processes + "],\"max\":64}"));
    }

    @Test
    void aWellFormedListIsReadIntoRecords() throws Exception {
        Params.ExecProcesses p = parse(RUNNING + "," + EXITED);
        assertThat(p.vm()).isEqualTo("demo");
        assertThat(p.max()).isEqualTo(64);
        assertThat(p.processes()).containsExactly(
                new Params.ExecProcess("0badc0de", 321, List.of("sleep", "60"), "running", null, 1500, null, false, true, 0, 7),
                new Params.ExecProcess("00000001", 322, List.of("sh", "-c", "exit 3"), "exited", 3, 9000, 100L, true, false, 0, 0));
        assertThat(parse("").processes()).isEmpty();
    }

    @Test
    void anythingOutOfShapeIsRefusedAsNotTheAgentsAnswer() {
        String[][] broken = {
                {"\"id\":\"0badc0de\"", "\"id\":\"../../x\""},
                {"\"id\":\"0badc0de\"", "\"id\":12345678"},
                {"\"pid\":321", "\"pid\":0"},
                {"\"pid\":321", "\"pid\":99999999999"},
                {"\"pid\":321", "\"pid\":\"321\""},
                {"\"argv\":[\"sleep\",\"60\"]", "\"argv\":[]"},
                {"\"argv\":[\"sleep\",\"60\"]", "\"argv\":[\"sleep\",60]"},
                {"\"state\":\"running\"", "\"state\":\"zombie\""},
                {"\"age_ms\":1500", "\"age_ms\":-1"},
                {"\"age_ms\":1500", "\"age_ms\":1.5"},
                {"\"attached\":true", "\"attached\":\"yes\""},
                {"\"stderr_dropped\":7", "\"stderr_dropped\":-7"},
        };
        for (String[] b : broken) {
            String row = RUNNING.replace(b[0], b[1]);
            assertThat(row).as("the test's replacement applies").isNotEqualTo(RUNNING);
            assertThatThrownBy(() -> parse(row)).as(b[1]).isInstanceOf(BangerException.class)
                    .hasMessageContaining("the guest agent of VM 'demo' sent an answer that is not one")
                    .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.AGENT_UNAVAILABLE));
        }
        assertThatThrownBy(() -> parse(EXITED.replace("\"exit_status\":3", "\"exit_status\":null")))
                .as("an exited process has a status").hasMessageContaining("exit_status");
        assertThatThrownBy(() -> parse(EXITED.replace("\"exit_status\":3", "\"exit_status\":256"))).hasMessageContaining("exit_status");
        assertThatThrownBy(() -> DetachedExecService.processes("demo", json("{\"processes\":{},\"max\":64}")))
                .hasMessageContaining("a list of at most");
        assertThatThrownBy(() -> DetachedExecService.processes("demo", json("{\"processes\":[],\"max\":100000}")))
                .hasMessageContaining("max");
    }

    @Test
    void aListLongerThanAnyAgentHoldsIsRefused() throws Exception {
        String many = String.join(",", java.util.Collections.nCopies(DetachedExecService.MAX_LISTED + 1, RUNNING));
        assertThatThrownBy(() -> parse(many)).hasMessageContaining("at most " + DetachedExecService.MAX_LISTED);
    }

    @Test
    void anAgentsRefusalKeepsItsKindOnlyFromAFixedSet() {
        assertThat(AgentSessions.refusal("not_found")).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(AgentSessions.refusal("exhausted")).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        assertThat(AgentSessions.refusal("precondition")).isEqualTo(ErrorCode.FAILED_PRECONDITION);
        for (String other : new String[] {"", "INTERNAL", "internal", "permission_denied", "NOT_FOUND"}) {
            assertThat(AgentSessions.refusal(other)).as(other).isEqualTo(ErrorCode.AGENT_UNAVAILABLE);
        }
    }
}
