package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Json;
import dev.banger.api.Params;
import dev.banger.api.RpcResponse;
import dev.banger.api.VmRecord;
import dev.banger.api.VmRuntime;
import dev.banger.api.VmSpec;
import dev.banger.api.VmState;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The verbs as the user types them: the options they share are the same options, and each verb sends the
 * request its command line means and prints the answer as text or JSON. The daemon's side is played on a
 * real Unix socket by a peer that records the request line and answers with a given result.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class VerbsTest {
    private static final VmRecord VM = new VmRecord("d257d58ff63c",
            new VmSpec("web", "debian-bookworm", 2, 1024, 0, 8192, "qemu"),
            new VmRuntime(VmState.STOPPED, "172.29.0.2", "/v/api.sock", "/v/vsock.sock", 3, "/v/console.log", "/v/metrics.json",
                    "web.vm", "/v", "/v/root.qcow2", "/v/work.img", null),
            Instant.parse("2026-11-29T15:31:27.281612488Z"), Instant.parse("2026-11-29T15:31:27.303863070Z"));

    @TempDir
    Path home;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private CliContext ctx;
    private ServerSocketChannel daemon;

    @BeforeEach
    void listen() throws IOException {
        ctx = CliContext.of(new PrintWriter(out), new PrintWriter(err), Map.of("BANGER_HOME", home.toString()), home, false);
        Files.createDirectories(ctx.paths().socket().getParent());
        daemon = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        daemon.bind(UnixDomainSocketAddress.of(ctx.paths().socket()));
    }

    @AfterEach
    void close() throws IOException {
        daemon.close();
    }

    @Test
    void vmCreateAndVmRunTakeTheSameSpecOptions() {
        CommandLine tree = Commands.tree(ctx);
        Set<String> create = optionNames(tree.getSubcommands().get("vm").getSubcommands().get("create").getCommandSpec());
        Set<String> run = optionNames(tree.getSubcommands().get("vm").getSubcommands().get("run").getCommandSpec());

        Set<String> spec = Set.of("--name", "--image", "--cpus", "--vcpus", "--memory", "--work-disk", "--root-disk", "--vmm", "--from",
                "--cold", "--publish", "-p", "--mount");
        assertThat(create).containsAll(spec);
        assertThat(run).containsAll(spec);
        create.removeAll(spec);
        run.removeAll(spec);
        assertThat(create).as("create's own").containsExactlyInAnyOrder("-h", "--help", "--json");
        assertThat(run).as("run's own").containsExactlyInAnyOrder("-h", "--help", "--rm");
    }

    @Test
    void vmRunReadsEverySpecOptionIntoItsRequest() {
        CommandLine.ParseResult vmRun = Commands.tree(ctx).parseArgs("vm", "run", "--name", "web", "--image", "void", "--cpus", "2",
                "--memory", "1G", "--work-disk", "8G", "--root-disk", "4G", "--vmm", "firecracker", "--", "uname", "-a")
                .subcommand().subcommand();

        assertThat(VmSpecOptions.read(vmRun)).isEqualTo(new Params.VmCreate("web", "void", 2, 1024, 4096L, 8192L, "firecracker"));
        assertThat(vmRun.matchedPositional(0).stringValues()).containsExactly("uname", "-a");
    }

    @Test
    void vmRunReadsFromAndCold() {
        CommandLine.ParseResult vmRun = Commands.tree(ctx).parseArgs("vm", "run", "--from", "base", "--cold", "--", "true")
                .subcommand().subcommand();
        assertThat(VmSpecOptions.read(vmRun)).isEqualTo(new Params.VmCreate(null, null, null, null, null, null, null, "base", true));
    }

    @Test
    void vmRunReadsPublishAndMountsAndMakesAMountsHostDirectoryAbsolute() {
        CommandLine.ParseResult vmRun = Commands.tree(ctx).parseArgs("vm", "run", "-p", "8080:80", "--publish", "53:53/udp",
                "--mount", "src:/src:ro", "--mount", "/data:/data", "--", "true").subcommand().subcommand();
        Params.VmCreate request = VmSpecOptions.read(vmRun);
        assertThat(request.publish()).containsExactly("8080:80", "53:53/udp");
        assertThat(request.mounts()).containsExactly(java.nio.file.Path.of("src").toAbsolutePath() + ":/src:ro", "/data:/data");
    }

    @Test
    void vmCreateSendsItsSpecAndPrintsTheVmAsJson() throws Exception {
        CompletableFuture<JsonNode> request = answerOnce(VM);

        int status = Main.run(ctx, "vm", "create", "--name", "web", "--cpus", "2", "--memory", "1G", "--work-disk", "8G", "--json");

        assertThat(status).as("stderr: %s", err).isZero();
        assertThat(request.get()).isEqualTo(Json.MAPPER.readTree("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.create\","
                + "\"params\":{\"name\":\"web\",\"image\":null,\"vcpus\":2,\"memory_mib\":1024,\"root_disk_mib\":null,"
                + "\"work_disk_mib\":8192,\"vmm\":null,\"from\":null,\"cold\":null,\"publish\":[],\"mounts\":[]}}"));
        assertThat(Json.MAPPER.readValue(out.toString(), VmRecord.class)).isEqualTo(VM);
    }

    @Test
    void vmStopSendsTheNameAndForceAndPrintsALine() throws Exception {
        CompletableFuture<JsonNode> request = answerOnce(VM);

        int status = Main.run(ctx, "vm", "stop", "web", "-f");

        assertThat(status).as("stderr: %s", err).isZero();
        assertThat(request.get().get("method").asText()).isEqualTo("vm.stop");
        assertThat(request.get().get("params")).isEqualTo(Json.MAPPER.readTree("{\"vm\":\"web\",\"force\":true}"));
        assertThat(out.toString()).isEqualTo("stopped VM web\n");
    }

    @Test
    void vmShowPrintsLabelledFieldsWithoutJson() throws Exception {
        CompletableFuture<JsonNode> request = answerOnce(VM);

        int status = Main.run(ctx, "vm", "inspect", "d257d58ff63c");

        assertThat(status).isZero();
        assertThat(request.get().get("method").asText()).isEqualTo("vm.get");
        assertThat(request.get().at("/params/vm").asText()).isEqualTo("d257d58ff63c");
        assertThat(out.toString().lines().toList()).contains("Name:           web", "Work disk:      8G", "Last error:     -");
    }

    @Test
    void aFailedImageCheckPrintsFailAndExitsOne() throws Exception {
        answerOnce(new Params.ImageVerification("debian-bookworm", false,
                List.of(new Params.Check("manifest", true, "4 files"), new Params.Check("e2fsck", false, "errors"))));

        int status = Main.run(ctx, "image", "verify", "debian-bookworm");

        assertThat(status).isEqualTo(1);
        assertThat(out.toString().lines().toList()).contains("e2fsck    FAIL    errors", "image debian-bookworm FAILED verification");
    }

    @Test
    void aMissingNameIsAUsageErrorNamingIt() {
        for (String[] line : List.of(new String[] {"image", "show"}, new String[] {"vm", "start"}, new String[] {"vm", "delete"},
                new String[] {"vm", "ssh"})) {
            err.getBuffer().setLength(0);

            int status = Main.run(ctx, line);

            assertThat(status).as("%s", List.of(line)).isEqualTo(2);
            assertThat(err.toString()).as("%s", List.of(line)).startsWith("Missing required parameter");
        }
    }

    @Test
    void completionCoversEveryVerb() {
        int status = Main.run(ctx, "completion", "bash");

        assertThat(status).isZero();
        for (String verb : List.of("run", "create", "ports", "verify", "import", "teardown", "recover", "doctor")) {
            assertThat(out.toString()).contains(verb);
        }
    }

    @Test
    void aLineNamingAVerbGetsATreeOfThatVerbAloneAndAnyOtherLineTheWholeTree() {
        CommandLine vmList = Commands.tree(ctx, "vm", "ls", "--json");
        assertThat(vmList.getSubcommands()).containsOnlyKeys("vm");
        assertThat(vmList.getSubcommands().get("vm").getSubcommands()).containsOnlyKeys("list", "ls");
        assertThat(Commands.tree(ctx, "doctor").getSubcommands()).containsOnlyKeys("doctor");

        CommandLine whole = Commands.tree(ctx);
        for (String[] line : List.of(new String[] {"vm"}, new String[] {"vm", "lst"}, new String[] {"--help", "vm"},
                new String[] {"image", "list-all"}, new String[0])) {
            CommandLine tree = Commands.tree(ctx, line);
            assertThat(tree.getSubcommands().keySet()).as("%s", List.of(line)).isEqualTo(whole.getSubcommands().keySet());
            assertThat(tree.getSubcommands().get("vm").getSubcommands().keySet())
                    .isEqualTo(whole.getSubcommands().get("vm").getSubcommands().keySet());
        }
    }

    @Test
    void aTypoIsAnsweredWithSuggestionsFromTheWholeGroup() {
        int status = Main.run(ctx, "vm", "lst");

        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).contains("Did you mean").contains("vm list");
    }

    private static Set<String> optionNames(CommandSpec spec) {
        Set<String> names = new TreeSet<>();
        for (OptionSpec o : spec.options()) {
            names.addAll(List.of(o.names()));
        }
        return names;
    }

    /** Plays bangerd for one connection: the request line it read, once it has answered with {@code result}. */
    private CompletableFuture<JsonNode> answerOnce(Object result) {
        CompletableFuture<JsonNode> request = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (SocketChannel client = daemon.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
                JsonNode line = Json.MAPPER.readTree(in.readLine());
                client.write(ByteBuffer.wrap((RpcResponse.successLine(line.get("id"), result) + "\n").getBytes(StandardCharsets.UTF_8)));
                request.complete(line);
            } catch (IOException | RuntimeException e) {
                request.completeExceptionally(e);
            }
        });
        return request;
    }

    @Test
    void e2bKeyCreatePrintsTheKeyOnceAndJsonCarriesIt() throws Exception {
        Params.E2bKeyCreated made = new Params.E2bKeyCreated("a1b2c3d4e5f6", "ci", "e2b_" + "ab".repeat(20),
                java.time.Instant.parse("2026-01-01T00:00:00Z"));
        CompletableFuture<JsonNode> request = answerOnce(made);

        int status = Main.run(ctx, "e2b", "key", "create", "--name", "ci", "--json");

        assertThat(status).as("stderr: %s", err).isZero();
        assertThat(request.get().get("method").asText()).isEqualTo("e2b.key_create");
        assertThat(request.get().get("params")).isEqualTo(Json.MAPPER.readTree("{\"name\":\"ci\"}"));
        JsonNode printed = Json.MAPPER.readTree(out.toString());
        assertThat(printed.get("key").asText()).isEqualTo(made.key());
        assertThat(printed.get("id").asText()).isEqualTo("a1b2c3d4e5f6");
    }

    @Test
    void e2bKeyRevokeSendsTheIdAndAnE2bLineGetsItsVerbAlone() throws Exception {
        CompletableFuture<JsonNode> request = answerOnce(new Params.E2bKeyInfo("a1b2c3d4e5f6", "ci",
                java.time.Instant.parse("2026-01-01T00:00:00Z"), java.time.Instant.parse("2026-01-02T00:00:00Z")));

        int status = Main.run(ctx, "e2b", "key", "revoke", "a1b2c3d4e5f6");

        assertThat(status).as("stderr: %s", err).isZero();
        assertThat(request.get().get("params")).isEqualTo(Json.MAPPER.readTree("{\"id\":\"a1b2c3d4e5f6\"}"));
        assertThat(out.toString()).isEqualTo("revoked key a1b2c3d4e5f6 'ci'\n");
        CommandLine list = Commands.tree(ctx, "e2b", "key", "ls");
        assertThat(list.getSubcommands()).containsOnlyKeys("e2b");
        assertThat(list.getSubcommands().get("e2b").getSubcommands().get("key").getSubcommands()).containsOnlyKeys("list", "ls");
        assertThat(Commands.tree(ctx).getSubcommands().get("e2b").getSubcommands().get("key").getSubcommands())
                .containsKeys("create", "list", "revoke");
    }
}
