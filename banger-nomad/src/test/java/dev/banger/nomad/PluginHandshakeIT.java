package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import hashicorp.nomad.plugins.base.proto.Base.ConfigSchemaRequest;
import hashicorp.nomad.plugins.base.proto.Base.PluginInfoRequest;
import hashicorp.nomad.plugins.base.proto.Base.PluginInfoResponse;
import hashicorp.nomad.plugins.base.proto.Base.PluginType;
import hashicorp.nomad.plugins.base.proto.Base.SetConfigRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.CapabilitiesRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.DriverCapabilities;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.InitRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.StartTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskConfigSchemaRequest;
import hashicorp.nomad.plugins.shared.hclspec.HclSpec.Spec;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import plugin.GrpcBroker.ConnInfo;
import plugin.GrpcController;
import plugin.GrpcStdio.StdioData;

/**
 * bin/banger-nomad as Nomad's client meets it, through {@link NomadHarness}: the cookie, the handshake line, mTLS
 * (and plain gRPC when the host asks for none), go-plugin's services and Nomad's BasePlugin and Driver contract as far
 * as this build serves it, and a clean exit on Shutdown and SIGTERM.
 */
class PluginHandshakeIT {
    private static final String SEMVER = "v?\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?";
    private static HostCert host;

    @TempDir
    Path tmp;

    @BeforeAll
    static void hostCertificate(@TempDir Path dir) throws Exception {
        host = HostCert.generate(dir);
    }

    @Test
    void servesNomadsPluginContractOverMutualTls() throws Exception {
        try (NomadHarness nomad = NomadHarness.launch(NomadHarness.hostEnvironment(tmp), host)) {
            assertThat(nomad.handshake().serverCert()).isNotNull();
            assertThat(nomad.handshake().socket()).startsWith(tmp);
            assertThat(nomad.health().check(HealthCheckRequest.newBuilder().setService("plugin").build()).getStatus())
                    .isEqualTo(ServingStatus.SERVING);

            // go-plugin's client opens both streams as soon as it connects; they stay open, quiet
            Recorder<StdioData> stdio = new Recorder<>();
            nomad.stdio().streamStdio(Empty.getDefaultInstance(), stdio);
            Recorder<ConnInfo> broker = new Recorder<>();
            StreamObserver<ConnInfo> toBroker = nomad.broker().startStream(broker);
            toBroker.onNext(ConnInfo.newBuilder().setServiceId(1).setNetwork("unix").setAddress("/nonexistent").build());

            PluginInfoResponse info = nomad.base().pluginInfo(PluginInfoRequest.getDefaultInstance());
            assertThat(info.getType()).isEqualTo(PluginType.DRIVER);
            assertThat(info.getName()).isEqualTo("banger");
            assertThat(info.getPluginApiVersionsList()).containsExactly("v0.1.0"); // Nomad's drivers.ApiVersion010
            assertThat(info.getPluginVersion()).matches(SEMVER);

            Spec config = nomad.base().configSchema(ConfigSchemaRequest.getDefaultInstance()).getSpec();
            SpecChecks.check(config);
            assertThat(attrTypes(config)).isEqualTo(Map.of("socket", "string"));

            // the config as Nomad sends it: msgpack, with the API version Nomad picked from PluginInfo
            nomad.base().setConfig(SetConfigRequest.newBuilder().setPluginApiVersion("v0.1.0").build());
            // {socket = null}: the default socket; {socket = "x"}: refused, naming the attribute
            nomad.base().setConfig(SetConfigRequest.newBuilder().setPluginApiVersion("v0.1.0")
                    .setMsgpackConfig(ByteString.copyFrom(new byte[] {(byte) 0x81, (byte) 0xa6, 's', 'o', 'c', 'k',
                            'e', 't', (byte) 0xc0})).build());
            assertThatThrownBy(() -> nomad.base().setConfig(SetConfigRequest.newBuilder().setPluginApiVersion("v0.1.0")
                    .setMsgpackConfig(ByteString.copyFrom(new byte[] {(byte) 0x81, (byte) 0xa6, 's', 'o', 'c', 'k',
                            'e', 't', (byte) 0xa1, 'x'})).build()))
                    .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT))
                    .hasMessageContaining("socket must be the absolute path");
            assertThatThrownBy(() -> nomad.base().setConfig(SetConfigRequest.newBuilder().setPluginApiVersion("v9.9.9")
                    .build()))
                    .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT))
                    .hasMessageContaining("v9.9.9");

            DriverCapabilities caps = nomad.driver().capabilities(CapabilitiesRequest.getDefaultInstance())
                    .getCapabilities();
            assertThat(caps.getSendSignals()).isTrue();
            assertThat(caps.getExec()).isTrue();
            assertThat(caps.getFsIsolation()).isEqualTo(DriverCapabilities.FSIsolation.IMAGE);
            assertThat(caps.getMustCreateNetwork()).isFalse();
            assertThat(caps.getNetworkIsolationModesList()).isNotEmpty();

            Spec task = nomad.driver().taskConfigSchema(TaskConfigSchemaRequest.getDefaultInstance()).getSpec();
            SpecChecks.check(task);
            assertThat(attrTypes(task)).isEqualTo(Map.of("image", "string", "cpus", "number", "memory", "number",
                    "command", "list(string)", "publish", "list(string)", "mount", "list(string)"));

            // Nomad ignores UNIMPLEMENTED from Init; a task without a config is a FATAL answer (NomadDriverIT runs tasks)
            assertThatThrownBy(() -> nomad.driver().init(InitRequest.getDefaultInstance()))
                    .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
            assertThat(nomad.driver().startTask(StartTaskRequest.getDefaultInstance()).getResult())
                    .isEqualTo(hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.StartTaskResponse.Result.FATAL);

            assertThat(stdio.ended()).as("the stdio stream stays open").isFalse();
            assertThat(broker.ended()).as("the broker stream stays open").isFalse();
            assertThat(broker.received).as("the plugin asks for no brokered connection").isEmpty();
            System.out.println("banger-nomad idle RSS after handshake and calls, mTLS: " + rssKib(nomad.pid()) + " KiB");

            // go-plugin's client.Kill: the Shutdown RPC, then a wait for the process to go
            assertThat(nomad.controller().shutdown(GrpcController.Empty.getDefaultInstance())).isNotNull();
            assertThat(nomad.awaitExit(Duration.ofSeconds(20))).isZero();
            assertThat(stdio.awaitEnd()).as("stdio stream ends cleanly at shutdown").isNull();
            assertThat(broker.awaitEnd()).as("broker stream ends cleanly at shutdown").isNull();
            assertThat(nomad.handshake().socket().getParent()).doesNotExist();
            assertThat(nomad.stdoutAfterHandshake()).as("stdout carries the handshake line only").isEmpty();
        }
    }

    @Test
    void servesPlainGrpcWhenTheHostAsksForNoTlsAndStopsOnSigterm() throws Exception {
        try (NomadHarness nomad = NomadHarness.launch(NomadHarness.hostEnvironment(tmp), null)) {
            assertThat(nomad.handshake().serverCert()).isNull();
            assertThat(nomad.health().check(HealthCheckRequest.newBuilder().setService("plugin").build()).getStatus())
                    .isEqualTo(ServingStatus.SERVING);
            assertThat(nomad.base().pluginInfo(PluginInfoRequest.getDefaultInstance()).getName()).isEqualTo("banger");

            // Ctrl-C on a foreground agent reaches the plugin too: it keeps serving, as go-plugin's plugins do
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(nomad.pid())).start();
            assertThat(kill.waitFor()).isZero();
            Thread.sleep(300);
            assertThat(nomad.base().pluginInfo(PluginInfoRequest.getDefaultInstance()).getName()).isEqualTo("banger");

            System.out.println("banger-nomad idle RSS after handshake and calls, plain gRPC: " + rssKib(nomad.pid())
                    + " KiB");
            nomad.terminate();
            nomad.awaitExit(Duration.ofSeconds(20));
            assertThat(nomad.handshake().socket().getParent()).doesNotExist();
        }
    }

    @Test
    void makesItsSocketInPluginUnixSocketDir() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("sockets"));
        Map<String, String> env = NomadHarness.hostEnvironment(tmp);
        env.put("PLUGIN_UNIX_SOCKET_DIR", dir.toString());
        try (NomadHarness nomad = NomadHarness.launch(env, null)) {
            assertThat(nomad.handshake().socket().getParent().getParent()).isEqualTo(dir);
            nomad.controller().shutdown(GrpcController.Empty.getDefaultInstance());
            assertThat(nomad.awaitExit(Duration.ofSeconds(20))).isZero();
            assertThat(dir).isEmptyDirectory();
        }
    }

    @Test
    void trustsOnlyTheHostsCertificate() throws Exception {
        HostCert impostor = HostCert.generate(tmp);
        try (NomadHarness nomad = NomadHarness.launch(NomadHarness.hostEnvironment(tmp), host, impostor)) {
            assertThatThrownBy(() -> nomad.health().check(HealthCheckRequest.newBuilder().setService("plugin").build()))
                    .isInstanceOf(StatusRuntimeException.class)
                    .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        }
    }

    @Test
    void refusesToRunWithoutNomadsCookie() throws Exception {
        Map<String, String> env = NomadHarness.hostEnvironment(tmp);
        env.remove(Handshake.COOKIE_KEY);
        assertRefused(NomadHarness.runExpectingRefusal(env));
        env.put(Handshake.COOKIE_KEY, "not-the-cookie");
        assertRefused(NomadHarness.runExpectingRefusal(env));
        try (var left = Files.list(tmp)) {
            assertThat(left).as("a refused plugin makes no socket directory").isEmpty();
        }
    }

    private static void assertRefused(NomadHarness.Refused r) {
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.stdout()).as("no handshake line").isEmpty();
        assertThat(r.stderr()).contains("Nomad task driver plugin").contains("not meant to be run by hand");
    }

    /** An object spec's attributes, name to cty type. */
    private static Map<String, String> attrTypes(Spec spec) {
        assertThat(spec.getBlockCase()).isEqualTo(Spec.BlockCase.OBJECT);
        Map<String, String> types = new TreeMap<>();
        spec.getObject().getAttributesMap().forEach((k, v) -> {
            assertThat(v.getBlockCase()).as(k).isEqualTo(Spec.BlockCase.ATTR);
            assertThat(v.getAttr().getRequired()).as(k + " is optional").isFalse();
            types.put(k, v.getAttr().getType());
        });
        return types;
    }

    private static long rssKib(long pid) throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    /** A stream's messages and its end: null for a clean end, the error otherwise. */
    private static final class Recorder<T> implements StreamObserver<T> {
        final List<T> received = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final CompletableFuture<Throwable> end = new CompletableFuture<>();

        @Override
        public void onNext(T value) {
            received.add(value);
        }

        @Override
        public void onError(Throwable t) {
            end.complete(t);
        }

        @Override
        public void onCompleted() {
            end.complete(null);
        }

        boolean ended() throws InterruptedException {
            Thread.sleep(300);
            return end.isDone();
        }

        Throwable awaitEnd() throws Exception {
            return end.get(10, TimeUnit.SECONDS);
        }
    }
}
