package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.channel.Channel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** What the file-op tests share: an agent over a real channel, a scratch directory of files, the answers' checks. */
abstract class FilesFixture {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    AgentLink agent;
    Channel host;
    Path files;

    @BeforeEach
    void connect() throws Exception {
        agent = new AgentLink(dir);
        host = agent.connect();
        files = Files.createDirectory(dir.resolve("files"));
    }

    @AfterEach
    void close() throws IOException {
        agent.close();
    }

    static JsonNode ok(JsonNode reply) {
        assertThat(reply.path("ok").asBoolean()).as("%s", reply).isTrue();
        return reply.path("result");
    }

    static void refused(JsonNode reply, String kind, String text) {
        assertThat(reply.path("ok").asBoolean()).as("%s", reply).isFalse();
        assertThat(reply.path("kind").asText()).as("%s", reply).isEqualTo(kind);
        assertThat(reply.path("error").asText()).contains(text);
    }
}
