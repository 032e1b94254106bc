package dev.banger.daemon.e2b;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.channel.Exec;
import dev.banger.daemon.agent.GuestFiles;
import dev.banger.daemon.agent.GuestProcesses;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Connect framing and the proto3 JSON mapping the SDK's parser holds banger to. */
class EnvdWireTest {
    private static JsonNode json(String s) throws Exception {
        return E2bWire.JSON.readTree(s);
    }

    @Test
    void envelopesFrameOneMessageAndRefuseWhatTheyCannotTake() throws Exception {
        byte[] msg = "{\"path\":\"/tmp\"}".getBytes(StandardCharsets.UTF_8);
        ByteBuffer e = ConnectWire.envelope(ConnectWire.END_STREAM, msg);
        assertThat(e.remaining()).isEqualTo(5 + msg.length);
        assertThat(e.get(0)).isEqualTo((byte) 2);
        assertThat(e.getInt(1)).isEqualTo(msg.length);
        byte[] framed = ConnectWire.envelope(0, msg).array();
        assertThat(ConnectWire.readMessage(new ByteArrayInputStream(framed), 1024)).isEqualTo(msg);

        assertThatThrownBy(() -> ConnectWire.readMessage(new ByteArrayInputStream(new byte[0]), 1024)).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> ConnectWire.readMessage(new ByteArrayInputStream(new byte[] {0, 0, 0, 0, 9, '{'}), 1024))
                .isInstanceOf(EOFException.class).hasMessageContaining("cut short");
        assertThatThrownBy(() -> ConnectWire.readMessage(new ByteArrayInputStream(framed), 4))
                .isInstanceOf(EnvdError.class).hasMessageContaining("at most 4");
        byte[] compressed = framed.clone();
        compressed[0] = ConnectWire.COMPRESSED;
        assertThatThrownBy(() -> ConnectWire.readMessage(new ByteArrayInputStream(compressed), 1024))
                .isInstanceOf(EnvdError.class).hasMessageContaining("compressed");
    }

    @Test
    void anEntryIsProto3JsonWithOnlyTheProtosFields() {
        var entry = new GuestFiles.Entry("a.txt", "/home/user/a.txt", GuestFiles.Type.FILE, 5_000_000_000L, 0644, "-rw-r--r--", "user",
                "user", Instant.parse("2026-12-02T10:00:00.250Z"), null);
        JsonNode n = EnvdJson.entry(entry);
        assertThat(n.get("type").asText()).isEqualTo("FILE_TYPE_FILE");
        assertThat(n.get("size").isTextual()).as("int64 is a string in proto3 JSON").isTrue();
        assertThat(n.get("size").asText()).isEqualTo("5000000000");
        assertThat(n.get("modifiedTime").asText()).isEqualTo("2026-12-02T10:00:00.250Z");
        assertThat(n.has("symlinkTarget")).isFalse();
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("name", "type", "path", "size", "mode", "permissions", "owner", "group", "modifiedTime");
        assertThat(EnvdJson.entry(new GuestFiles.Entry("l", "/l", GuestFiles.Type.SYMLINK, 1, 0777, "lrwxrwxrwx", "root", "root",
                Instant.EPOCH, "/x")).get("symlinkTarget").asText()).isEqualTo("/x");
    }

    @Test
    void processEventsAreWrappedAsTheSdkReadsThem() {
        assertThat(EnvdJson.started(42).toString()).isEqualTo("{\"event\":{\"start\":{\"pid\":42}}}");
        assertThat(EnvdJson.output("stdout", "hi\n".getBytes(StandardCharsets.UTF_8)).toString())
                .isEqualTo("{\"event\":{\"data\":{\"stdout\":\"aGkK\"}}}");
        assertThat(EnvdJson.ended(Exec.Exit.code(0)).toString()).isEqualTo("{\"event\":{\"end\":{\"exitCode\":0,\"exited\":true,\"status\":\"exit status 0\"}}}");
        assertThat(EnvdJson.ended(Exec.Exit.code(3)).toString())
                .as("envd's error is cmd.Wait()'s: the same text for any end but 0")
                .isEqualTo("{\"event\":{\"end\":{\"exitCode\":3,\"exited\":true,\"status\":\"exit status 3\",\"error\":\"exit status 3\"}}}");
        assertThat(EnvdJson.ended(Exec.Exit.killedBy(9)).toString()).as("as envd ends a killed process: Go's ProcessState")
                .isEqualTo("{\"event\":{\"end\":{\"exitCode\":-1,\"exited\":false,\"status\":\"signal: killed\",\"error\":\"signal: killed\"}}}");
        assertThat(EnvdJson.ended(Exec.Exit.code(137)).toString()).as("exit 137 by itself")
                .isEqualTo("{\"event\":{\"end\":{\"exitCode\":137,\"exited\":true,\"status\":\"exit status 137\",\"error\":\"exit status 137\"}}}");
        var p = new GuestProcesses.Process("0000abcd", 7, List.of("/bin/bash", "-l", "-c", "sleep 1"), "t", Map.of("A", "1"), "/home/user",
                "user", true, null, 0, false);
        assertThat(EnvdJson.processInfo(p).toString()).isEqualTo(
                "{\"config\":{\"cmd\":\"/bin/bash\",\"args\":[\"-l\",\"-c\",\"sleep 1\"],\"envs\":{\"A\":\"1\"},\"cwd\":\"/home/user\"},"
                        + "\"pid\":7,\"tag\":\"t\"}");
    }

    @Test
    void requestsAreReadLenientlyButChecked() throws Exception {
        assertThat(EnvdJson.selector(json("{\"process\":{\"pid\":12}}")).pid()).isEqualTo(12);
        assertThat(EnvdJson.selector(json("{\"process\":{\"pid\":\"12\"}}")).pid()).isEqualTo(12);
        assertThat(EnvdJson.selector(json("{\"process\":{\"tag\":\"web\"}}")).tag()).isEqualTo("web");
        assertThatThrownBy(() -> EnvdJson.selector(json("{}"))).isInstanceOf(EnvdError.class).hasMessageContaining("selector");
        assertThatThrownBy(() -> EnvdJson.selector(json("{\"process\":{\"pid\":-1}}"))).isInstanceOf(EnvdError.class);
        assertThatThrownBy(() -> EnvdJson.selector(json("{\"process\":{\"pid\":99999999999}}"))).isInstanceOf(EnvdError.class);
        assertThat(EnvdJson.signal(json("{\"signal\":\"SIGNAL_SIGKILL\"}"))).isEqualTo(9);
        assertThat(EnvdJson.signal(json("{\"signal\":15}"))).isEqualTo(15);
        assertThatThrownBy(() -> EnvdJson.signal(json("{\"signal\":\"SIGNAL_SIGHUP\"}"))).isInstanceOf(EnvdError.class);
        assertThat(EnvdJson.bytes(json("\"aGkK\""), "input")).isEqualTo("hi\n".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> EnvdJson.bytes(json("\"@@@\""), "input")).isInstanceOf(EnvdError.class).hasMessageContaining("base64");
        assertThat(EnvdJson.strings(json("{\"envs\":{\"A\":\"1\"}}"), "envs")).containsEntry("A", "1");
        assertThatThrownBy(() -> EnvdJson.strings(json("{\"envs\":{\"A\":1}}"), "envs")).isInstanceOf(EnvdError.class);
        assertThat(EnvdJson.eventType("create")).isEqualTo("EVENT_TYPE_CREATE");
        assertThat(EnvdJson.eventType("overflow")).isNull();
    }
}
