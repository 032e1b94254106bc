package dev.banger.nomad;

import hashicorp.nomad.plugins.base.proto.Base.ConfigSchemaRequest;
import hashicorp.nomad.plugins.base.proto.Base.ConfigSchemaResponse;
import hashicorp.nomad.plugins.base.proto.Base.PluginInfoRequest;
import hashicorp.nomad.plugins.base.proto.Base.PluginInfoResponse;
import hashicorp.nomad.plugins.base.proto.Base.PluginType;
import hashicorp.nomad.plugins.base.proto.Base.SetConfigRequest;
import hashicorp.nomad.plugins.base.proto.Base.SetConfigResponse;
import hashicorp.nomad.plugins.base.proto.BasePluginGrpc;
import dev.banger.nomad.cty.ConfigException;
import dev.banger.nomad.cty.PluginConfig;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Nomad's {@code BasePlugin}: what Nomad asks every plugin first. PluginInfo when it scans its plugin_dir (type,
 * API versions, version, name: Nomad keys the plugin by that name, which its {@code plugin "banger"} block names),
 * ConfigSchema to decode that block, SetConfig with the decoded config each time it dispenses the plugin.
 */
final class BangerBasePlugin extends BasePluginGrpc.BasePluginImplBase {
    static final String NAME = "banger";
    /** Nomad's driver plugin API version ({@code drivers.ApiVersion010}); Nomad picks one the plugin lists. */
    static final String DRIVER_API_VERSION = "v0.1.0";

    /** The plugin's config block: the same spec {@link PluginConfig} decodes with. */
    static final hashicorp.nomad.plugins.shared.hclspec.HclSpec.Spec CONFIG_SCHEMA = Specs.of(PluginConfig.SPEC);

    private final String version;
    private final java.util.Map<String, String> env;
    private final AtomicReference<PluginConfig> config = new AtomicReference<>(PluginConfig.DEFAULTS);

    /**
     * @param version the plugin's version, a semantic version Nomad parses (it keeps the newest of a name)
     * @param env the plugin's environment: where bangerd is when the config does not say (BANGER_HOME)
     */
    BangerBasePlugin(String version, java.util.Map<String, String> env) {
        this.version = version;
        this.env = java.util.Map.copyOf(env);
    }

    /** bangerd's socket as the config says now (the config's socket, else the CLI's default in the environment). */
    java.nio.file.Path daemonSocket() {
        return DaemonBangerd.socketFor(config.get(), env);
    }

    /** The config of the last SetConfig, the defaults before one. */
    PluginConfig config() {
        return config.get();
    }

    @Override
    public void pluginInfo(PluginInfoRequest request, StreamObserver<PluginInfoResponse> response) {
        response.onNext(PluginInfoResponse.newBuilder()
                .setType(PluginType.DRIVER)
                .addPluginApiVersions(DRIVER_API_VERSION)
                .setPluginVersion(version)
                .setName(NAME)
                .build());
        response.onCompleted();
    }

    @Override
    public void configSchema(ConfigSchemaRequest request, StreamObserver<ConfigSchemaResponse> response) {
        response.onNext(ConfigSchemaResponse.newBuilder().setSpec(CONFIG_SCHEMA).build());
        response.onCompleted();
    }

    @Override
    public void setConfig(SetConfigRequest request, StreamObserver<SetConfigResponse> response) {
        String api = request.getPluginApiVersion();
        if (!api.isEmpty() && !api.equals(DRIVER_API_VERSION)) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("plugin API version " + api + " is not one this"
                    + " plugin offered (" + DRIVER_API_VERSION + ")").asRuntimeException());
            return;
        }
        PluginConfig parsed;
        try {
            parsed = PluginConfig.decode(request.getMsgpackConfig().toByteArray());
        } catch (ConfigException | IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        config.set(parsed);
        PluginLog.info("configured: bangerd socket " + daemonSocket());
        response.onNext(SetConfigResponse.getDefaultInstance());
        response.onCompleted();
    }
}
