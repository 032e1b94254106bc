package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.core.StatePaths;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * A VM's durable task on a real VM (issue 18's "the exit code is durable"): its output read over vm.task_attach, bangerd
 * killed with -9 while it runs, its exit then waited for (7), again after the agent forgot the process and bangerd was
 * killed once more (still 7, from SQLite), and its rows gone with the VM.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class VmTaskIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(2);
    private NetnsHome ns;

    @BeforeAll
    void start() {
        ns = NetnsHome.withSharedImage(null);
    }

    @AfterAll
    void cleanUp() {
        ns.close();
    }

    private JsonNode call(String method, String params) {
        try (RpcConnection c = RpcConnection.open(ns.home.socket())) {
            JsonNode r = c.call(method, params);
            assertThat(r.has("result")).as(method + " " + params + ": " + r).isTrue();
            return r.get("result");
        }
    }

    @Test
    void aTasksExitOutlivesBangerdsKillAndTheAgentsMemoryAndGoesWithTheVm() throws Exception {
        ns.ok(BOOT, "vm", "run", "--cold", "--name", "t", "--", "true");
        JsonNode started = call("vm.task_start", "{\"vm\":\"t\",\"argv\":[\"sh\",\"-c\",\"echo out; echo err >&2; sleep 10; exit 7\"]}");
        assertThat(started.get("state").asText()).isEqualTo("running");
        assertThat(started.get("task").asText()).isEqualTo("main");
        String agentId = started.get("id").asText();
        String vmId = started.get("vm_id").asText();

        List<Records.Record> seen = attach(2);
        assertThat(seen.getFirst().type()).isEqualTo(Exec.STARTED);
        assertThat(text(seen, Exec.STDOUT)).isEqualTo("out\n");
        assertThat(text(seen, Exec.STDERR)).isEqualTo("err\n");
        assertThat(call("vm.task_status", "{\"vm\":\"t\"}").get("state").asText()).as("still running when bangerd is killed").isEqualTo("running");

        ns.killDaemon();
        ns.ok(CLI, "vm", "list"); // starts a new daemon, whose restore follows the task again
        JsonNode ended = call("vm.task_wait", "{\"vm\":\"t\",\"timeout_ms\":120000}");
        assertThat(ended.get("state").asText()).isEqualTo("exited");
        assertThat(ended.get("exit_code").asInt()).isEqualTo(7);
        assertThat(ended.get("signal").isNull()).as("exit 7 is no signal").isTrue();
        assertThat(ended.get("finished_at").isNull()).isFalse();

        // Collected: the agent no longer holds the process.
        JsonNode listed = call("vm.exec_list", "{\"vm\":\"t\"}");
        listed.get("processes").forEach(p -> assertThat(p.get("id").asText()).isNotEqualTo(agentId));
        ns.killDaemon();
        ns.ok(CLI, "vm", "list");
        JsonNode again = call("vm.task_wait", "{\"vm\":\"t\",\"timeout_ms\":0}");
        assertThat(again.get("state").asText()).isEqualTo("exited");
        assertThat(again.get("exit_code").asInt()).isEqualTo(7);
        List<Records.Record> after = attach(Integer.MAX_VALUE);
        assertThat(after.getLast().type()).isEqualTo(Exec.EXIT);
        assertThat(Exec.Exit.read(after.getLast().payload())).isEqualTo(Exec.Exit.code(7));

        // A new run of the task under its name, signalled: 128+15, and the signal itself, from the guest's agent.
        call("vm.task_start", "{\"vm\":\"t\",\"argv\":[\"sleep\",\"600\"]}");
        call("vm.task_signal", "{\"vm\":\"t\",\"signal\":\"TERM\"}");
        JsonNode killed = call("vm.task_wait", "{\"vm\":\"t\",\"timeout_ms\":60000}");
        assertThat(killed.get("exit_code").asInt()).isEqualTo(143);
        assertThat(killed.get("signal").asInt()).as("the signal that ended it").isEqualTo(15);
        assertThat(Exec.Exit.read(attach(Integer.MAX_VALUE).getLast().payload())).as("task_attach's EXIT says it too")
                .isEqualTo(Exec.Exit.killedBy(15));
        // vm exec: the shell's 128+N from the signal the agent reported; exit 143 by itself is the same number.
        assertThat(ns.banger(Duration.ofSeconds(60), "vm", "exec", "t", "--", "sh", "-c", "kill -TERM $$").exitCode()).isEqualTo(143);

        ns.ok(CLI, "vm", "delete", "--force", "t");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + StatePaths.forHome(ns.home.path()).database());
             ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM vm_tasks WHERE vm_id='" + vmId + "'")) {
            assertThat(rs.getInt(1)).as("the VM's task rows went with it").isZero();
        }
    }

    /** vm.task_attach: the records it sends, until EXIT or until {@code outputs} output records came. */
    private List<Records.Record> attach(int outputs) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(ns.home.socket()));
            Thread watchdog = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(60_000);
                    ch.close();
                } catch (InterruptedException | IOException e) {
                    // done in time
                }
            });
            try {
                OutputStream out = Channels.newOutputStream(ch);
                out.write("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.task_attach\",\"params\":{\"vm\":\"t\"}}\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                InputStream in = Channels.newInputStream(ch);
                StringBuilder line = new StringBuilder();
                int b;
                while ((b = in.read()) != '\n') {
                    assertThat(b).as("the response line").isNotNegative();
                    line.append((char) b);
                }
                JsonNode response = RpcConnection.parse(line.toString());
                assertThat(response.path("result").path("protocol").asText()).as(line.toString()).isEqualTo("task-records/1");
                List<Records.Record> records = new ArrayList<>();
                int n = 0;
                Records.Record r;
                while (n < outputs && (r = Records.read(in)) != null) {
                    records.add(r);
                    if (r.type() == Exec.STDOUT || r.type() == Exec.STDERR) {
                        n++;
                    }
                    if (r.type() == Exec.EXIT) {
                        break;
                    }
                }
                return records;
            } finally {
                watchdog.interrupt();
            }
        }
    }

    private static String text(List<Records.Record> records, int type) {
        StringBuilder s = new StringBuilder();
        records.stream().filter(r -> r.type() == type).forEach(r -> s.append(new String(r.payload(), StandardCharsets.UTF_8)));
        return s.toString();
    }
}
