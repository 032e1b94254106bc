package dev.banger.nomad;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The plugin's gRPC server on its Unix socket: Nomad's services, and go-plugin's (health with service "plugin"
 * SERVING, controller, stdio, broker). Netty's epoll transport serves the socket (the JDK's own channels have no
 * Unix socket server Netty can use); one event loop thread is plenty for one host. Calls run on virtual threads, so
 * an RPC that waits on bangerd holds no platform thread.
 */
final class PluginServer {
    /** How long a stop lets calls in flight finish before it cuts them. */
    private static final long GRACE_MS = 2_000;

    private final Server server;
    private final EventLoopGroup loop;
    private final ExecutorService calls;
    private final SocketDir dir;
    private final GoPluginServices goPlugin;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private boolean stopping;

    private PluginServer(Server server, EventLoopGroup loop, ExecutorService calls, SocketDir dir,
            GoPluginServices goPlugin) {
        this.server = server;
        this.loop = loop;
        this.calls = calls;
        this.dir = dir;
        this.goPlugin = goPlugin;
    }

    /** Binds the socket and serves; the socket exists and accepts when this returns. */
    static PluginServer start(SocketDir dir, AutoMtls mtls, List<BindableService> nomadServices) throws IOException {
        if (!Epoll.isAvailable()) {
            throw new IOException("Netty's epoll transport is unavailable here, and the plugin needs it for its Unix "
                    + "socket: " + Epoll.unavailabilityCause());
        }
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();
        PluginServer[] self = new PluginServer[1];
        GoPluginServices goPlugin = new GoPluginServices(() -> Thread.ofPlatform().name("plugin-shutdown")
                .start(() -> self[0].stop()));
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(dir.socket().toFile()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(loop)
                .workerEventLoopGroup(loop)
                .executor(calls)
                .addService(new PluginHealth())
                .addService(goPlugin.controller())
                .addService(goPlugin.stdio())
                .addService(goPlugin.broker());
        nomadServices.forEach(builder::addService);
        if (mtls != null) {
            builder.sslContext(mtls.serverContext());
        }
        Server server = builder.build();
        try {
            server.start();
        } catch (IOException | RuntimeException e) {
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            calls.shutdownNow();
            throw e;
        }
        self[0] = new PluginServer(server, loop, calls, dir, goPlugin);
        return self[0];
    }

    /** Blocks until {@link #stop} has run to its end. */
    void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /**
     * Stops serving: ends the held streams, lets calls in flight finish for a moment, removes the socket and its
     * directory. Runs once; later calls (the shutdown hook after a Shutdown RPC) wait for the first.
     */
    void stop() {
        synchronized (this) {
            if (stopping) {
                awaitQuietly();
                return;
            }
            stopping = true;
        }
        try {
            goPlugin.closeStreams();
            server.shutdown();
            try {
                if (!server.awaitTermination(GRACE_MS, TimeUnit.MILLISECONDS)) {
                    server.shutdownNow();
                    server.awaitTermination(GRACE_MS, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                server.shutdownNow();
                Thread.currentThread().interrupt();
            }
            calls.shutdownNow();
            loop.shutdownGracefully(0, GRACE_MS, TimeUnit.MILLISECONDS).awaitUninterruptibly(GRACE_MS);
        } finally {
            dir.delete();
            stopped.countDown();
        }
    }

    private void awaitQuietly() {
        try {
            stopped.await(3 * GRACE_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
