package dev.banger.nomad;

import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.util.Set;

/**
 * grpc.health.v1.Health as go-plugin's host uses it: it checks that service "plugin" is SERVING. The overall status
 * ("") is SERVING too, for any standard health client. Statuses never change while the plugin serves (a stopping plugin
 * closes its socket), so this holds no state. Written here rather than taken from grpc-services because that module
 * is built on protobuf's full runtime, which the plugin leaves out to stay small (pom.xml).
 */
final class PluginHealth extends HealthGrpc.HealthImplBase {
    private static final Set<String> SERVING = Set.of("", "plugin");

    @Override
    public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> response) {
        if (!SERVING.contains(request.getService())) {
            // as grpc's own health service answers a service it does not know
            response.onError(Status.NOT_FOUND.withDescription("unknown service " + request.getService()).asRuntimeException());
            return;
        }
        response.onNext(status(ServingStatus.SERVING));
        response.onCompleted();
    }

    /** The status now, and no later message: there is never a change to send. The stream ends when the caller or the server ends it. */
    @Override
    public void watch(HealthCheckRequest request, StreamObserver<HealthCheckResponse> response) {
        response.onNext(status(SERVING.contains(request.getService()) ? ServingStatus.SERVING : ServingStatus.SERVICE_UNKNOWN));
    }

    private static HealthCheckResponse status(ServingStatus status) {
        return HealthCheckResponse.newBuilder().setStatus(status).build();
    }
}
