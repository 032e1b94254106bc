package dev.banger.nomad;

import com.google.protobuf.Empty;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import plugin.GRPCBrokerGrpc;
import plugin.GRPCControllerGrpc;
import plugin.GRPCStdioGrpc;
import plugin.GrpcBroker.ConnInfo;
import plugin.GrpcController;
import plugin.GrpcStdio.StdioData;

/**
 * The services go-plugin's host expects of every gRPC plugin besides health: {@code plugin.GRPCController} (the
 * host's Kill asks the plugin to stop), {@code plugin.GRPCStdio} (the host opens it right after connecting, to
 * mirror output the plugin sends through it) and {@code plugin.GRPCBroker} (the host opens its stream right after
 * connecting too, to offer or ask for extra connections). banger sends its log on stderr, which the host reads
 * anyway, and needs no brokered connection; so the stdio and broker streams are held open, quiet, until the plugin
 * stops, and then completed, as a Go plugin's would be.
 */
final class GoPluginServices {
    private final Runnable stop;
    private final Set<StreamObserver<?>> open = ConcurrentHashMap.newKeySet();

    /** {@code stop} runs once the Shutdown answer is on its way; it must not block the gRPC thread for long. */
    GoPluginServices(Runnable stop) {
        this.stop = stop;
    }

    GRPCControllerGrpc.GRPCControllerImplBase controller() {
        return new GRPCControllerGrpc.GRPCControllerImplBase() {
            @Override
            public void shutdown(GrpcController.Empty request, StreamObserver<GrpcController.Empty> response) {
                PluginLog.info("the host asked the plugin to shut down");
                response.onNext(GrpcController.Empty.getDefaultInstance());
                response.onCompleted();
                stop.run();
            }
        };
    }

    GRPCStdioGrpc.GRPCStdioImplBase stdio() {
        return new GRPCStdioGrpc.GRPCStdioImplBase() {
            @Override
            public void streamStdio(Empty request, StreamObserver<StdioData> response) {
                hold(response);
            }
        };
    }

    GRPCBrokerGrpc.GRPCBrokerImplBase broker() {
        return new GRPCBrokerGrpc.GRPCBrokerImplBase() {
            @Override
            public StreamObserver<ConnInfo> startStream(StreamObserver<ConnInfo> response) {
                hold(response);
                return new StreamObserver<>() {
                    @Override
                    public void onNext(ConnInfo info) {
                        // The host offers a service it serves for the plugin to dial; banger dials none.
                        PluginLog.info("ignoring a brokered connection offered by the host (service "
                                + info.getServiceId() + "): banger's driver uses none");
                    }

                    @Override
                    public void onError(Throwable t) {
                        release(response);
                    }

                    @Override
                    public void onCompleted() {
                        if (release(response)) {
                            response.onCompleted();
                        }
                    }
                };
            }
        };
    }

    /** Completes the streams still open: the host then sees them end cleanly rather than break. */
    void closeStreams() {
        for (StreamObserver<?> s : open) {
            if (release(s)) {
                try {
                    s.onCompleted();
                } catch (RuntimeException e) {
                    // the call is already cancelled: nothing to tell
                }
            }
        }
    }

    private void hold(StreamObserver<?> response) {
        open.add(response);
        if (response instanceof ServerCallStreamObserver<?> call) {
            call.setOnCancelHandler(() -> open.remove(response));
        }
    }

    private boolean release(StreamObserver<?> response) {
        return open.remove(response);
    }
}
