package dev.banger.fcstub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.vm.FirecrackerBoot;
import dev.banger.core.vm.KernelArgs;
import dev.banger.host.vm.FirecrackerApi;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * banger's side of the contract: the driver's requests ({@link FirecrackerBoot}) sent by its client
 * ({@link FirecrackerApi}, Jetty over the Unix socket) to the strict stub, which validates each against
 * Firecracker's OpenAPI document. Every request banger makes must pass; a refusal must reach the caller
 * with Firecracker's fault_message.
 */
class FirecrackerApiContractTest {
    @TempDir
    Path dir;

    private FirecrackerBoot boot() throws Exception {
        return new FirecrackerBoot(Fixtures.file(dir, "firecracker.log"), Fixtures.file(dir, "metrics.json"), 2, 512,
                Fixtures.vmlinux(dir), Optional.of(Fixtures.file(dir, "initrd.img")),
                KernelArgs.defaults().withVerbosity(KernelArgs.Verbosity.QUIET).firecrackerLine(),
                List.of(new FirecrackerBoot.Drive("rootfs", Fixtures.file(dir, "root.img"), true, false),
                        new FirecrackerBoot.Drive("config", Fixtures.file(dir, "config.img"), false, true),
                        new FirecrackerBoot.Drive("work", Fixtures.file(dir, "work.img"), false, false)),
                Optional.of(new FirecrackerBoot.Nic("lo", "06:00:ac:1d:00:05")), OptionalLong.of(5),
                Optional.of(dir.resolve("vsock.sock")));
    }

    @Test
    void everyRequestTheDriverSendsIsValidAndInOrder() throws Exception {
        FirecrackerBoot boot = boot();
        try (FirecrackerStub stub = FirecrackerStub.start(dir.resolve("api.sock"), "0123456789ab", GuestMode.NONE);
             FirecrackerApi api = FirecrackerApi.open(dir.resolve("api.sock"))) {
            for (FirecrackerBoot.Call call : boot.calls()) {
                assertThat(api.send(call)).as("204, no body: %s", call.path()).isNull();
            }
            api.send(FirecrackerBoot.instanceStart());
            assertThat(api.get("/").get("state").asText()).isEqualTo("Running");
            assertThat(api.get("/").get("id").asText()).isEqualTo("0123456789ab");
            api.send(FirecrackerBoot.sendCtrlAltDel());
            assertThat(stub.requests()).extracting(Recorded::status).containsOnly(204, 200);
            assertThat(stub.requests()).extracting(r -> r.method() + " " + r.path()).startsWith("PUT /logger", "PUT /metrics",
                    "PUT /machine-config", "PUT /boot-source", "PUT /drives/rootfs", "PUT /drives/config", "PUT /drives/work",
                    "PUT /network-interfaces/eth0", "PUT /vsock", "PUT /actions");
        }
    }

    @Test
    void aRefusalCarriesFirecrackersFaultMessage() throws Exception {
        FirecrackerBoot boot = boot();
        try (FirecrackerStub stub = FirecrackerStub.start(dir.resolve("api.sock"), "0123456789ab", GuestMode.NONE);
             FirecrackerApi api = FirecrackerApi.open(dir.resolve("api.sock"))) {
            assertThatThrownBy(() -> api.send(FirecrackerBoot.instanceStart()))
                    .isInstanceOf(BangerException.class)
                    .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
                    .hasMessageContaining("Firecracker refused PUT /actions (HTTP 400)");
            for (FirecrackerBoot.Call call : boot.calls()) {
                api.send(call);
            }
            api.send(FirecrackerBoot.instanceStart());
            // After the start, configuration is refused in Firecracker's words.
            assertThatThrownBy(() -> api.send(boot.calls().get(3)))
                    .hasMessageContaining("The requested operation is not supported after starting the microVM");
            // A body with a field the contract does not know is refused, and named.
            assertThatThrownBy(() -> api.send(new FirecrackerBoot.Call("PATCH", "/drives/work",
                    Map.of("drive_id", "work", "path_on_host", dir.resolve("work.img").toString(), "turbo", true))))
                    .hasMessageContaining("turbo");
        }
    }

    /**
     * The driver's snapshot requests: pause, a full create, resume on one stub; then, on a fresh stub in another
     * directory, {@link FirecrackerBoot.Restore}'s logger, metrics, load (paused, with a tap and a vsock socket of
     * its own), a PATCH per drive to its own files, and the resume. Every one passes the contract, in that order.
     */
    @Test
    void theDriversSnapshotRequestsAreValidAndInOrder() throws Exception {
        Path snap = java.nio.file.Files.createDirectories(dir.resolve("snap"));
        FirecrackerBoot boot = boot();
        try (FirecrackerStub stub = FirecrackerStub.start(dir.resolve("api.sock"), "0123456789ab", GuestMode.NONE);
             FirecrackerApi api = FirecrackerApi.open(dir.resolve("api.sock"))) {
            for (FirecrackerBoot.Call call : boot.calls()) {
                api.send(call);
            }
            api.send(FirecrackerBoot.instanceStart());
            api.send(FirecrackerBoot.pause());
            assertThat(api.get("/").get("state").asText()).isEqualTo(FirecrackerBoot.PAUSED);
            api.send(FirecrackerBoot.createSnapshot(snap.resolve("vmstate"), snap.resolve("memory")), java.time.Duration.ofSeconds(30));
            api.send(FirecrackerBoot.resume());
            assertThat(api.get("/").get("state").asText()).isEqualTo("Running");
            List<Recorded> rec = stub.requests();
            assertThat(rec.subList(rec.size() - 5, rec.size())).extracting(r -> r.method() + " " + r.path() + " " + r.status())
                    .containsExactly("PATCH /vm 204", "GET / 200", "PUT /snapshot/create 204", "PATCH /vm 204", "GET / 200");
        }
        Path child = java.nio.file.Files.createDirectories(dir.resolve("child"));
        FirecrackerBoot.Restore restore = new FirecrackerBoot.Restore(Fixtures.file(child, "firecracker.log"),
                Fixtures.file(child, "metrics.json"), snap.resolve("vmstate"), snap.resolve("memory"),
                List.of(new FirecrackerBoot.Drive("rootfs", Fixtures.file(child, "root.img"), true, false),
                        new FirecrackerBoot.Drive("config", Fixtures.file(child, "config.img"), false, true),
                        new FirecrackerBoot.Drive("work", Fixtures.file(child, "work.img"), false, false)),
                Optional.of("lo"), Optional.of(child.resolve("vsock.sock")));
        try (FirecrackerStub stub = FirecrackerStub.start(child.resolve("api.sock"), "fedcba987654", GuestMode.NONE);
             FirecrackerApi api = FirecrackerApi.open(child.resolve("api.sock"))) {
            for (FirecrackerBoot.Call call : restore.calls()) {
                assertThat(api.send(call, java.time.Duration.ofSeconds(30))).as("204, no body: %s", call.path()).isNull();
            }
            assertThat(api.get("/").get("state").asText()).isEqualTo("Running");
            assertThat(stub.requests()).extracting(r -> r.method() + " " + r.path() + " " + r.status()).containsExactly(
                    "PUT /logger 204", "PUT /metrics 204", "PUT /snapshot/load 204", "PATCH /drives/rootfs 204",
                    "PATCH /drives/config 204", "PATCH /drives/work 204", "PATCH /vm 204", "GET / 200");
            JsonNode config = api.get("/vm/config");
            assertThat(config.at("/drives/0/path_on_host").asText()).isEqualTo(child.resolve("root.img").toString());
            assertThat(config.at("/vsock/uds_path").asText()).isEqualTo(child.resolve("vsock.sock").toString());
        }
    }

    @Test
    void aSocketWithNobodyListeningIsAClearError() {
        try (FirecrackerApi api = FirecrackerApi.open(dir.resolve("nobody.sock"))) {
            assertThatThrownBy(() -> api.get("/")).isInstanceOf(BangerException.class)
                    .hasMessageContaining("Firecracker did not answer GET /").hasMessageContaining("nobody.sock");
        }
    }
}
