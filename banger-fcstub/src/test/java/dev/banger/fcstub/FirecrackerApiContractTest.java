package dev.banger.fcstub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    @Test
    void aSocketWithNobodyListeningIsAClearError() {
        try (FirecrackerApi api = FirecrackerApi.open(dir.resolve("nobody.sock"))) {
            assertThatThrownBy(() -> api.get("/")).isInstanceOf(BangerException.class)
                    .hasMessageContaining("Firecracker did not answer GET /").hasMessageContaining("nobody.sock");
        }
    }
}
