package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PluginHealthTest {
    private final PluginHealth health = new PluginHealth();

    @Test
    void pluginAndOverallServiceAreServing() {
        for (String service : List.of("plugin", "")) {
            Recorder r = new Recorder();
            health.check(request(service), r);
            assertThat(r.statuses).as(service).containsExactly(ServingStatus.SERVING);
            assertThat(r.completed).isTrue();
            assertThat(r.error).isNull();
        }
    }

    @Test
    void unknownServiceIsNotFound() {
        Recorder r = new Recorder();
        health.check(request("grpc.other.Service"), r);
        assertThat(r.statuses).isEmpty();
        assertThat(Status.fromThrowable(r.error).getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(Status.fromThrowable(r.error).getDescription()).contains("grpc.other.Service");
    }

    @Test
    void watchSendsTheStatusAndLeavesTheStreamOpen() {
        Recorder known = new Recorder();
        health.watch(request("plugin"), known);
        assertThat(known.statuses).containsExactly(ServingStatus.SERVING);
        assertThat(known.completed).isFalse();

        Recorder unknown = new Recorder();
        health.watch(request("nope"), unknown);
        assertThat(unknown.statuses).containsExactly(ServingStatus.SERVICE_UNKNOWN);
        assertThat(unknown.error).isNull();
    }

    private static HealthCheckRequest request(String service) {
        return HealthCheckRequest.newBuilder().setService(service).build();
    }

    private static final class Recorder implements StreamObserver<HealthCheckResponse> {
        final List<ServingStatus> statuses = new ArrayList<>();
        Throwable error;
        boolean completed;

        @Override
        public void onNext(HealthCheckResponse value) {
            statuses.add(value.getStatus());
        }

        @Override
        public void onError(Throwable t) {
            error = t;
        }

        @Override
        public void onCompleted() {
            completed = true;
        }
    }
}
