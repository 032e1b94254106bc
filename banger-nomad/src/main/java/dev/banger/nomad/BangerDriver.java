package dev.banger.nomad;

import hashicorp.nomad.plugins.drivers.proto.DriverGrpc;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.CapabilitiesRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.CapabilitiesResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.DriverCapabilities;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.DriverCapabilities.FSIsolation;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.DriverCapabilities.MountConfigs;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.NetworkIsolationSpec.NetworkIsolationMode;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskConfigSchemaRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskConfigSchemaResponse;
import hashicorp.nomad.plugins.shared.hclspec.HclSpec.Spec;
import io.grpc.stub.StreamObserver;

/**
 * Nomad's {@code Driver} service: a task is one banger VM. RPCs not overridden here answer UNIMPLEMENTED (Nomad
 * ignores that for Init and Shutdown, which banger does not need).
 */
final class BangerDriver extends DriverGrpc.DriverImplBase {
    /**
     * The job's {@code config { ... }} of a banger task. cpus and memory (MiB) override what the task's resources
     * give the VM; publish and mount are banger's own {@code vm run --publish/--mount} values.
     */
    static final Spec TASK_CONFIG_SCHEMA = Specs.object(
            Specs.attr("image", "string", false),
            Specs.attr("cpus", "number", false),
            Specs.attr("memory", "number", false),
            Specs.attr("command", "list(string)", false),
            Specs.attr("publish", "list(string)", false),
            Specs.attr("mount", "list(string)", false));

    /**
     * A VM signals and execs through its guest agent; its file system is its own image. Networking is banger's
     * (the VM's own interface and published ports), so the driver creates no Nomad network namespace, and Nomad's
     * host-volume mounts are not applied (a task's mounts are banger's {@code mount}).
     */
    static final DriverCapabilities CAPABILITIES = DriverCapabilities.newBuilder()
            .setSendSignals(true)
            .setExec(true)
            .setFsIsolation(FSIsolation.IMAGE)
            .addNetworkIsolationModes(NetworkIsolationMode.HOST)
            .setMustCreateNetwork(false)
            .setMountConfigs(MountConfigs.NO_MOUNTS)
            .build();

    @Override
    public void taskConfigSchema(TaskConfigSchemaRequest request, StreamObserver<TaskConfigSchemaResponse> response) {
        response.onNext(TaskConfigSchemaResponse.newBuilder().setSpec(TASK_CONFIG_SCHEMA).build());
        response.onCompleted();
    }

    @Override
    public void capabilities(CapabilitiesRequest request, StreamObserver<CapabilitiesResponse> response) {
        response.onNext(CapabilitiesResponse.newBuilder().setCapabilities(CAPABILITIES).build());
        response.onCompleted();
    }
}
