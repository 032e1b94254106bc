package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Json;
import dev.banger.api.VmRecord;
import dev.banger.channel.Exec;
import dev.banger.channel.OpenHandler;
import dev.banger.channel.Records;
import dev.banger.daemon.agent.AgentSessions;
import dev.banger.daemon.agent.GuestFiles;
import dev.banger.daemon.agent.GuestProcesses;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * GuestFiles' watch and GuestProcesses' attachments over real channels to fake agents: the answer line, then
 * what follows it, read in order; a refusal's kind kept; an answer line that never ends refused within its bound.
 */
@Timeout(60)
class GuestStreamsTest {
    @TempDir
    Path tmp;
    private FakeDaemon d;
    private AgentSessions sessions;

    @BeforeEach
    void daemon() {
        d = new FakeDaemon(tmp.resolve("home"));
        sessions = new AgentSessions(d.vmms, d.liveness);
    }

    @AfterEach
    void close() throws Exception {
        d.close();
    }

    /** A running fake VM whose agent answers each stream with {@code handler}. */
    private VmRecord vm(OpenHandler handler) throws IOException {
        return d.startWithAgent("g", tmp.resolve("g.sock"), handler);
    }

    private static void text(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Test
    void aStartedProcessAnswersThenStreamsItsRecords() throws Exception {
        VmRecord vm = vm((stream, request) -> {
            Map<?, ?> r = Json.MAPPER.readValue(request, Map.class);
            assertThat(r.get("op")).isEqualTo("exec");
            assertThat(r.get("attach")).isEqualTo(true);
            assertThat(r.get("tag")).isEqualTo("t");
            OutputStream out = stream.output();
            text(out, "{\"ok\":true,\"result\":{\"id\":\"0badc0de\",\"pid\":42}}\n");
            Records.write(out, Exec.STARTED, Records.u32(42));
            Records.write(out, Exec.STDOUT, "hi\n".getBytes(StandardCharsets.UTF_8));
            Records.write(out, Exec.EXIT, Records.u32(3));
            out.flush();
            stream.close();
        });
        GuestProcesses processes = new GuestProcesses(sessions);
        try (GuestProcesses.Attached a = processes.start(vm, new GuestProcesses.Spec(List.of("sh"), Map.of(), null, "user", null, null, "t", false))) {
            assertThat(a.pid()).isEqualTo(42);
            assertThat(a.id()).isEqualTo("0badc0de");
            assertThat(a.next().pid()).isEqualTo(42);
            GuestProcesses.Event out = a.next();
            assertThat(out.type()).isEqualTo(Exec.STDOUT);
            assertThat(new String(out.data(), StandardCharsets.UTF_8)).isEqualTo("hi\n");
            GuestProcesses.Event exit = a.next();
            assertThat(exit.type()).isEqualTo(Exec.EXIT);
            assertThat(exit.exit().status()).isEqualTo(3);
            assertThat(a.next()).isNull();
        }
    }

    @Test
    void aRefusedConnectKeepsItsKindAndAHostileAnswerIsRefused() throws Exception {
        VmRecord vm = vm((stream, request) -> {
            Map<?, ?> r = Json.MAPPER.readValue(request, Map.class);
            OutputStream out = stream.output();
            if ("none".equals(r.get("tag"))) {
                text(out, "{\"ok\":false,\"error\":\"no process tagged \\\"none\\\"\",\"kind\":\"not_found\"}\n");
            } else if ("endless".equals(r.get("tag"))) {
                byte[] junk = new byte[64 * 1024];
                java.util.Arrays.fill(junk, (byte) 'x');
                for (int i = 0; i < 8; i++) {
                    out.write(junk); // 512 KiB and no newline
                }
                out.flush();
            } else {
                text(out, "{\"ok\":true,\"result\":{\"id\":\"not-an-id\",\"pid\":42}}\n");
            }
            stream.close();
        });
        GuestProcesses processes = new GuestProcesses(sessions);
        assertThatThrownBy(() -> processes.connect(vm, GuestProcesses.Selector.tag("none"))).isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.NOT_FOUND)).hasMessageContaining("no process tagged");
        assertThatThrownBy(() -> processes.connect(vm, GuestProcesses.Selector.tag("endless"))).isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.AGENT_UNAVAILABLE));
        assertThatThrownBy(() -> processes.connect(vm, GuestProcesses.Selector.pid(42))).isInstanceOf(BangerException.class)
                .hasMessageContaining("8 hex digits");
    }

    @Test
    void aWatchGivesItsEventsThenItsEnd() throws Exception {
        VmRecord vm = vm((stream, request) -> {
            OutputStream out = stream.output();
            text(out, "{\"ok\":true,\"result\":{\"path\":\"/home/user\",\"recursive\":false}}\n");
            text(out, "{\"event\":\"create\",\"name\":\"a.txt\",\"dir\":false}\n");
            text(out, "{\"end\":\"the watched directory is gone\"}\n");
            stream.close();
        });
        try (GuestFiles.Watch w = new GuestFiles(sessions).watch(vm, "user", "/home/user", false)) {
            assertThat(w.next()).isEqualTo(new GuestFiles.Event("create", "a.txt", false));
            assertThat(w.next()).isNull();
        }
        assertThatThrownBy(() -> new GuestFiles(sessions).watch(vm, null, "relative", false)).isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
}
