package dev.banger.daemon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Json;
import dev.banger.channel.Exec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GuestFiles' and GuestProcesses' reading of agent answers: what an agent sends, and what a hostile guest might. */
class GuestClientsTest {
    private static final String FILE = "{\"name\":\"a.txt\",\"path\":\"/home/user/a.txt\",\"type\":\"file\",\"size\":5,\"mode\":420,"
            + "\"permissions\":\"-rw-r--r--\",\"owner\":\"user\",\"group\":\"user\",\"mtime_ms\":1700000000000}";
    private static final String LINK = "{\"name\":\"l\",\"path\":\"/l\",\"type\":\"symlink\",\"size\":3,\"mode\":511,"
            + "\"permissions\":\"lrwxrwxrwx\",\"owner\":\"root\",\"group\":\"root\",\"mtime_ms\":0,\"symlink_target\":\"/tmp\"}";
    private static final String PROC = "{\"id\":\"0badc0de\",\"pid\":321,\"argv\":[\"sleep\",\"60\"],\"state\":\"running\",\"exit_status\":null,"
            + "\"age_ms\":5,\"ended_ms_ago\":null,\"stdin\":true,\"attached\":false,\"stdout_dropped\":0,\"stderr_dropped\":0,\"tag\":\"t\","
            + "\"tty\":false,\"shared\":true,\"cwd\":\"/home/user\",\"env\":{\"A\":\"b\"},\"user\":\"user\"}";

    private static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }

    @Test
    void entriesAreReadFieldByField() throws Exception {
        GuestFiles.Entry e = GuestFiles.entry(json(FILE), "vm1");
        assertThat(e).isEqualTo(new GuestFiles.Entry("a.txt", "/home/user/a.txt", GuestFiles.Type.FILE, 5, 0644, "-rw-r--r--", "user", "user",
                Instant.ofEpochMilli(1700000000000L), null));
        assertThat(GuestFiles.entry(json(LINK), "vm1").symlinkTarget()).isEqualTo("/tmp");
        GuestFiles.Listing l = GuestFiles.listing(json("{\"entries\":[" + FILE + "," + LINK + "],\"truncated\":true}"), "vm1");
        assertThat(l.entries()).hasSize(2);
        assertThat(l.truncated()).isTrue();
    }

    @Test
    void hostileEntriesAreRefused() {
        String[][] bad = {
            {FILE.replace("\"type\":\"file\"", "\"type\":\"device\""), "an unknown type"},
            {FILE.replace("\"size\":5", "\"size\":-1"), "a negative size"},
            {FILE.replace("\"size\":5", "\"size\":\"5\""), "a size as a string"},
            {FILE.replace("\"mode\":420", "\"mode\":99999"), "a mode beyond 07777"},
            {FILE.replace("\"path\":\"/home/user/a.txt\"", "\"path\":\"relative\""), "a relative path"},
            {FILE.replace("\"path\":\"/home/user/a.txt\"", "\"path\":\"/" + "x".repeat(5000) + "\""), "an oversized path"},
            {FILE.replace("\"owner\":\"user\"", "\"owner\":7"), "an owner as a number"},
            {FILE.replace("}", ",\"symlink_target\":\"/etc\"}"), "a target on a file"},
            {FILE.replace(",\"mtime_ms\":1700000000000", ""), "no mtime"},
            {"[]", "not an object"},
        };
        for (String[] b : bad) {
            assertThatThrownBy(() -> GuestFiles.entry(json(b[0]), "vm1")).as(b[1]).isInstanceOf(BangerException.class)
                    .satisfies(x -> assertThat(((BangerException) x).code()).isEqualTo(ErrorCode.AGENT_UNAVAILABLE))
                    .hasMessageContaining("the guest is not trusted");
        }
        StringBuilder many = new StringBuilder("{\"entries\":[");
        for (int i = 0; i <= GuestFiles.MAX_ENTRIES; i++) {
            many.append(i > 0 ? "," : "").append(FILE);
        }
        many.append("],\"truncated\":false}");
        assertThatThrownBy(() -> GuestFiles.listing(json(many.toString()), "vm1")).hasMessageContaining("at most " + GuestFiles.MAX_ENTRIES);
        assertThatThrownBy(() -> GuestFiles.listing(json("{\"entries\":[],\"truncated\":1}"), "vm1")).hasMessageContaining("truncated");
    }

    @Test
    void watchLinesAreEventsOrTheEnd() {
        assertThat(GuestFiles.event("{\"event\":\"create\",\"name\":\"a/b\",\"dir\":false}", "vm1")).isEqualTo(new GuestFiles.Event("create", "a/b", false));
        assertThat(GuestFiles.event("{\"event\":\"overflow\"}", "vm1").type()).isEqualTo("overflow");
        assertThat(GuestFiles.event("{\"end\":\"the watched directory is gone\"}", "vm1")).isNull();
        for (String bad : List.of("{\"event\":\"explode\",\"name\":\"a\",\"dir\":false}", "{\"event\":\"create\",\"name\":3,\"dir\":false}",
                "{\"event\":\"create\",\"name\":\"a\"}", "not json", "[1]")) {
            assertThatThrownBy(() -> GuestFiles.event(bad, "vm1")).as(bad).isInstanceOf(BangerException.class);
        }
    }

    @Test
    void refusalsKeepTheirKind() {
        assertThatThrownBy(() -> GuestAnswers.result("{\"ok\":false,\"error\":\"already exists: \\\"/a\\\"\",\"kind\":\"exists\"}", "vm1"))
                .satisfies(x -> assertThat(((BangerException) x).code()).isEqualTo(ErrorCode.NAME_TAKEN));
        assertThatThrownBy(() -> GuestAnswers.result("{\"ok\":false,\"error\":\"permission denied\",\"kind\":\"denied\"}", "vm1"))
                .satisfies(x -> assertThat(((BangerException) x).code()).isEqualTo(ErrorCode.PERMISSION_DENIED));
        assertThatThrownBy(() -> GuestAnswers.result("{\"ok\":false,\"error\":\"x\",\"kind\":\"internal\"}", "vm1"))
                .satisfies(x -> assertThat(((BangerException) x).code()).isEqualTo(ErrorCode.AGENT_UNAVAILABLE));
        assertThatThrownBy(() -> GuestAnswers.result("{\"result\":{}}", "vm1")).hasMessageContaining("not trusted");
    }

    @Test
    void processRowsAreReadFieldByField() throws Exception {
        List<GuestProcesses.Process> ps = GuestProcesses.processes(json("{\"processes\":[" + PROC + "],\"max\":64}"), "vm1");
        assertThat(ps).containsExactly(new GuestProcesses.Process("0badc0de", 321, List.of("sleep", "60"), "t", Map.of("A", "b"), "/home/user", "user",
                true, null, 0, false));
        String older = "{\"id\":\"00000001\",\"pid\":2,\"argv\":[\"true\"],\"state\":\"exited\",\"exit_status\":3}";
        assertThat(GuestProcesses.processes(json("{\"processes\":[" + older + "]}"), "vm1").getFirst().exit()).isEqualTo(Exec.Exit.code(3));
        String killed = "{\"id\":\"00000002\",\"pid\":3,\"argv\":[\"sleep\"],\"state\":\"exited\",\"exit_status\":137,\"exit_signal\":9}";
        assertThat(GuestProcesses.processes(json("{\"processes\":[" + killed + "]}"), "vm1").getFirst().exit()).isEqualTo(Exec.Exit.killedBy(9));
        String disagrees = killed.replace("\"exit_status\":137", "\"exit_status\":0");
        assertThat(GuestProcesses.processes(json("{\"processes\":[" + disagrees + "]}"), "vm1").getFirst().exit())
                .as("a signal that disagrees with the status is none").isEqualTo(Exec.Exit.code(0));
        String[][] bad = {
            {PROC.replace("\"pid\":321", "\"pid\":0"), "pid 0"},
            {PROC.replace("\"pid\":321", "\"pid\":99999999999"), "a pid beyond pid_max"},
            {PROC.replace("\"id\":\"0badc0de\"", "\"id\":\"../x\""), "a bad id"},
            {PROC.replace("\"env\":{\"A\":\"b\"}", "\"env\":{\"A\":1}"), "an env value as a number"},
            {PROC.replace("\"env\":{\"A\":\"b\"}", "\"env\":[\"A=b\"]"), "an env as a list"},
            {PROC.replace("\"tag\":\"t\"", "\"tag\":\"" + "t".repeat(300) + "\""), "an oversized tag"},
            {PROC.replace("\"state\":\"running\"", "\"state\":\"zombie\""), "an unknown state"},
            {PROC.replace("\"argv\":[\"sleep\",\"60\"]", "\"argv\":[]"), "an empty argv"},
            {PROC.replace("\"tty\":false", "\"tty\":\"no\""), "tty as a string"},
            {PROC.replace("\"state\":\"running\",\"exit_status\":null", "\"state\":\"exited\",\"exit_status\":193,\"exit_signal\":65"), "a signal above 64"},
            {PROC.replace("\"state\":\"running\",\"exit_status\":null", "\"state\":\"exited\",\"exit_status\":137,\"exit_signal\":\"KILL\""),
                "a signal as text"},
        };
        for (String[] b : bad) {
            assertThatThrownBy(() -> GuestProcesses.processes(json("{\"processes\":[" + b[0] + "]}"), "vm1")).as(b[1])
                    .isInstanceOf(BangerException.class).hasMessageContaining("not trusted");
        }
    }

    @Test
    void aSelectorIsAPidOrATagOrAnId() {
        assertThat(GuestProcesses.Selector.tag("t").tag()).isEqualTo("t");
        assertThat(GuestProcesses.Selector.id("0badc0de").id()).isEqualTo("0badc0de");
        assertThatThrownBy(() -> new GuestProcesses.Selector(1L, "t", null)).isInstanceOf(BangerException.class);
        assertThatThrownBy(() -> new GuestProcesses.Selector(null, "t", "0badc0de")).isInstanceOf(BangerException.class);
        assertThatThrownBy(() -> new GuestProcesses.Selector(null, null, null)).isInstanceOf(BangerException.class);
        assertThatThrownBy(() -> GuestFiles.checkPath("rel")).isInstanceOf(BangerException.class);
        assertThatThrownBy(() -> GuestFiles.checkPath("/a\0b")).isInstanceOf(BangerException.class);
    }
}
