package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Json;
import dev.banger.it.NomadNetns;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin under a real Nomad: {@code nomad agent -dev} with bin/banger-nomad in its plugin_dir, its bangerd in a
 * test-made network namespace; a batch job whose task prints "hello" and exits 3 must end failed with exit code 3,
 * its log holding "hello", and its VM deleted. Skipped, saying so, where no {@code nomad} binary is on PATH (Nomad is
 * in none of the package registries these machines reach).
 *
 * <p>Written against Nomad's documented HTTP API (/v1/nodes, /v1/node/ID, /v1/job/ID/allocations) and CLI; never run
 * on the machines this was written on, which have no Nomad: the first run where one exists is its first test.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class RealNomadIT {
    private static final String API = "http://127.0.0.1:4646";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path tmp;

    static Optional<Path> nomadOnPath() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "nomad");
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    @Test
    void aBatchJobRunsInAVmAndReportsItsExitCode() throws Exception {
        Optional<Path> nomad = nomadOnPath();
        assumeTrue(nomad.isPresent(), "no nomad binary on PATH: the plugin is verified against NomadHarness only");
        try (NomadNetns ns = NomadNetns.start()) {
            Path plugins = Files.createDirectories(tmp.resolve("plugins"));
            Files.createSymbolicLink(plugins.resolve("banger-nomad"), NomadHarness.LAUNCHER);
            Path config = tmp.resolve("client.hcl");
            Files.writeString(config, "plugin \"banger\" {\n  config {\n    socket = \"" + ns.socket() + "\"\n  }\n}\n");
            Path job = tmp.resolve("hello.nomad.hcl");
            Files.writeString(job, """
                    job "hello" {
                      datacenters = ["dc1"]
                      type        = "batch"
                      group "hello" {
                        restart {
                          attempts = 0
                          mode     = "fail"
                        }
                        reschedule {
                          attempts  = 0
                          unlimited = false
                        }
                        task "hello" {
                          driver = "banger"
                          config {
                            command = ["sh", "-c", "echo hello; exit 3"]
                          }
                          resources {
                            memory = 256
                          }
                        }
                      }
                    }
                    """);
            Process agent = new ProcessBuilder(nomad.get().toString(), "agent", "-dev", "-plugin-dir=" + plugins,
                    "-config=" + config, "-data-dir=" + Files.createDirectories(tmp.resolve("data")))
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("nomad.log").toFile()).start();
            try {
                String node = await(Duration.ofMinutes(2), () -> {
                    JsonNode nodes = get("/v1/nodes");
                    return nodes != null && nodes.size() > 0 ? nodes.get(0).path("ID").asText() : null;
                }, tmp);
                JsonNode driver = await(Duration.ofMinutes(2), () -> {
                    JsonNode d = Optional.ofNullable(get("/v1/node/" + node)).map(n -> n.path("Drivers").path("banger"))
                            .orElse(null);
                    return d != null && d.path("Healthy").asBoolean() ? d : null;
                }, tmp);
                assertThat(driver.path("Attributes").path("driver.banger").asText()).isEqualTo("true");

                Process run = new ProcessBuilder(nomad.get().toString(), "job", "run", "-detach", job.toString())
                        .redirectErrorStream(true).start();
                assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(run.exitValue()).as(new String(run.getInputStream().readAllBytes())).isZero();

                JsonNode alloc = await(Duration.ofMinutes(8), () -> {
                    JsonNode allocs = get("/v1/job/hello/allocations");
                    if (allocs == null || allocs.size() == 0) {
                        return null;
                    }
                    String status = allocs.get(0).path("ClientStatus").asText();
                    return status.equals("failed") || status.equals("complete") ? allocs.get(0) : null;
                }, tmp);
                assertThat(alloc.path("ClientStatus").asText()).isEqualTo("failed");
                boolean exit3 = false;
                for (JsonNode e : alloc.path("TaskStates").path("hello").path("Events")) {
                    exit3 |= e.path("Type").asText().equals("Terminated") && e.path("Details").path("exit_code").asText().equals("3");
                }
                assertThat(exit3).as("a Terminated event with exit_code 3: %s", alloc.path("TaskStates")).isTrue();

                Process logs = new ProcessBuilder(nomad.get().toString(), "alloc", "logs", alloc.path("ID").asText(), "hello")
                        .redirectErrorStream(true).start();
                assertThat(logs.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(new String(logs.getInputStream().readAllBytes())).contains("hello");

                // Nomad destroys the task once its alloc is done (its GC may take a while): the VM goes with it
                await(Duration.ofMinutes(5), () -> ns.vmList().contains("nomad-hello-") ? null : "gone", tmp);
            } finally {
                agent.destroy();
                if (!agent.waitFor(60, TimeUnit.SECONDS)) {
                    agent.destroyForcibly();
                }
            }
        }
    }

    private JsonNode get(String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(API + path)).timeout(Duration.ofSeconds(10))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Json.MAPPER.readTree(r.body()) : null;
        } catch (IOException e) {
            return null; // not up yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static <T> T await(Duration max, Supplier<T> probe, Path tmp) throws InterruptedException, IOException {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            T v = probe.get();
            if (v != null) {
                return v;
            }
            Thread.sleep(1000);
        }
        List<String> log = Files.readAllLines(tmp.resolve("nomad.log"));
        throw new AssertionError("timed out; the agent's log ends:\n" + String.join("\n", log.subList(Math.max(0, log.size() - 40), log.size())));
    }
}
