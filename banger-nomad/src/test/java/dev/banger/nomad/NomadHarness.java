package dev.banger.nomad;

import hashicorp.nomad.plugins.base.proto.BasePluginGrpc;
import hashicorp.nomad.plugins.drivers.proto.DriverGrpc;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import plugin.GRPCBrokerGrpc;
import plugin.GRPCControllerGrpc;
import plugin.GRPCStdioGrpc;

/**
 * Plays Nomad's client side of a driver plugin, strictly, against the built launcher {@code bin/banger-nomad}: starts
 * it as go-plugin's client does (the magic cookie, PLUGIN_PROTOCOL_VERSIONS, the port range, and a host certificate in
 * PLUGIN_CLIENT_CERT when mTLS is wanted), reads and checks the one handshake line, checks the socket is private,
 * connects over the Unix socket (with the host's certificate and trusting only the one the line carries, verified as
 * "localhost", as go-plugin's client does) and hands out stubs built from the real protos.
 */
final class NomadHarness implements AutoCloseable {
    static final Path REPO = Path.of(System.getProperty("banger.repo", "..")).toAbsolutePath().normalize();
    static final Path LAUNCHER = REPO.resolve("bin/banger-nomad");
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(60);
    private static final int STDERR_KEEP = 64 * 1024;

    private final Process process;
    private final HandshakeLine handshake;
    private final EventLoopGroup loop;
    private final ManagedChannel channel;
    private final Drain stderr;
    private final Drain moreStdout;

    private NomadHarness(Process process, HandshakeLine handshake, EventLoopGroup loop, ManagedChannel channel,
            Drain stderr, Drain moreStdout) {
        this.process = process;
        this.handshake = handshake;
        this.loop = loop;
        this.channel = channel;
        this.stderr = stderr;
        this.moreStdout = moreStdout;
    }

    /** What the host puts in the plugin's environment, as go-plugin's client with Nomad's handshake config does. */
    static Map<String, String> hostEnvironment(Path tmp) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put(Handshake.COOKIE_KEY, Handshake.COOKIE_VALUE);
        env.put("PLUGIN_PROTOCOL_VERSIONS", "2");
        env.put("PLUGIN_MIN_PORT", "10000");
        env.put("PLUGIN_MAX_PORT", "25000");
        env.remove(AutoMtls.CLIENT_CERT_ENV);
        env.remove(SocketDir.DIR_ENV);
        env.put("TMPDIR", tmp.toString()); // the socket directory lands here, so the tests see it go
        return env;
    }

    /** Launches the plugin with {@code env}, with mTLS when {@code host} is given, and connects. */
    static NomadHarness launch(Map<String, String> env, HostCert host) throws IOException, GeneralSecurityException,
            InterruptedException {
        return launch(env, host, host);
    }

    /** As {@link #launch(Map, HostCert)}, but connects presenting {@code connectAs} (an impostor, for a test). */
    static NomadHarness launch(Map<String, String> env, HostCert host, HostCert connectAs) throws IOException,
            GeneralSecurityException, InterruptedException {
        Map<String, String> e = new HashMap<>(env);
        if (host != null) {
            e.put(AutoMtls.CLIENT_CERT_ENV, host.pem());
        }
        Process p = start(e);
        Drain stderr = Drain.start(p.getErrorStream(), "stderr");
        HandshakeLine line;
        try {
            String first = CompletableFuture.supplyAsync(() -> readLine(p.getInputStream()))
                    .get(HANDSHAKE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            line = HandshakeLine.parse(first);
        } catch (java.util.concurrent.ExecutionException | TimeoutException | AssertionError ex) {
            p.destroyForcibly();
            throw new AssertionError("no valid handshake from the plugin: " + ex + "; its stderr:\n" + stderr.text(), ex);
        }
        Drain moreStdout = Drain.start(p.getInputStream(), "stdout");
        checkPrivate(line.socket());
        if ((host == null) != (line.serverCert() == null)) {
            p.destroyForcibly();
            throw new AssertionError(host == null ? "a certificate in the line though the host asked for no mTLS"
                    : "no certificate in the line though the host set PLUGIN_CLIENT_CERT");
        }
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        NettyChannelBuilder b = NettyChannelBuilder.forAddress(new DomainSocketAddress(line.socket().toFile()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(loop);
        if (host == null) {
            b.usePlaintext();
        } else {
            SslContext tls = GrpcSslContexts.forClient()
                    .keyManager(connectAs.key(), connectAs.certificate())
                    .trustManager(line.serverCert())
                    .build();
            b.sslContext(tls).overrideAuthority("localhost"); // go-plugin's client: ServerName "localhost"
        }
        return new NomadHarness(p, line, loop, b.build(), stderr, moreStdout);
    }

    /** A run that must be refused: the plugin's exit status, stdout and stderr. */
    record Refused(int status, String stdout, String stderr) {
    }

    static Refused runExpectingRefusal(Map<String, String> env) throws IOException, InterruptedException {
        Process p = start(env);
        Drain err = Drain.start(p.getErrorStream(), "stderr");
        Drain out = Drain.start(p.getInputStream(), "stdout");
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the plugin kept running; stdout: " + out.text());
        }
        return new Refused(p.exitValue(), out.await(), err.await());
    }

    private static Process start(Map<String, String> env) throws IOException {
        if (!Files.isExecutable(LAUNCHER)) {
            throw new AssertionError(LAUNCHER + " is missing or not executable");
        }
        ProcessBuilder pb = new ProcessBuilder(List.of(LAUNCHER.toString()));
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.PIPE); // go-plugin's host gives the plugin its own stdin
        return pb.start();
    }

    /** The first line, read a byte at a time so that nothing after it is taken from the stream. */
    private static String readLine(InputStream in) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            for (int b; (b = in.read()) != '\n'; ) {
                if (b < 0) {
                    return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
                }
                if (line.size() > 8192) {
                    throw new AssertionError("no newline in the first 8 KiB of the plugin's stdout");
                }
                line.write(b);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    /** The socket is a socket, in a directory of its own that only its owner may enter. */
    private static void checkPrivate(Path socket) throws IOException {
        Object mode = Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if (((Integer) mode & 0170000) != 0140000) {
            throw new AssertionError(socket + " is not a socket");
        }
        String dirPerms = PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent(),
                LinkOption.NOFOLLOW_LINKS));
        if (!dirPerms.equals("rwx------")) {
            throw new AssertionError("socket directory " + socket.getParent() + " is " + dirPerms + ", not rwx------");
        }
    }

    HandshakeLine handshake() {
        return handshake;
    }

    long pid() {
        return process.pid();
    }

    ManagedChannel channel() {
        return channel;
    }

    HealthGrpc.HealthBlockingStub health() {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    BasePluginGrpc.BasePluginBlockingStub base() {
        return BasePluginGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    DriverGrpc.DriverBlockingStub driver() {
        return DriverGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    GRPCControllerGrpc.GRPCControllerBlockingStub controller() {
        return GRPCControllerGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    GRPCStdioGrpc.GRPCStdioStub stdio() {
        return GRPCStdioGrpc.newStub(channel);
    }

    GRPCBrokerGrpc.GRPCBrokerStub broker() {
        return GRPCBrokerGrpc.newStub(channel);
    }

    String stderr() {
        return stderr.text();
    }

    /** Anything the plugin wrote on stdout after its handshake line (go-plugin's host would log it as noise). */
    String stdoutAfterHandshake() {
        return moreStdout.text();
    }

    /** Waits for the process to end; its status, or throws with its stderr. */
    int awaitExit(Duration limit) throws InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the plugin did not exit within " + limit + "; stderr:\n" + stderr.text());
        }
        return process.exitValue();
    }

    /** SIGTERM, as a service manager or an operator would send. */
    void terminate() {
        process.destroy();
    }

    @Override
    public void close() {
        channel.shutdownNow();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5_000);
        if (process.isAlive()) {
            process.destroyForcibly();
            process.onExit().orTimeout(10, TimeUnit.SECONDS).join();
        }
        // a plugin killed with SIGKILL leaves its socket directory; the harness's TMPDIR is the test's and goes with it
    }

    /** A stream read to its end on a thread of its own, keeping its last bytes. */
    static final class Drain {
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final Thread thread;

        private Drain(InputStream in, String name) {
            thread = Thread.ofVirtual().name("drain-" + name).unstarted(() -> pump(in));
        }

        static Drain start(InputStream in, String name) {
            Drain d = new Drain(in, name);
            d.thread.start();
            return d;
        }

        private void pump(InputStream in) {
            byte[] buf = new byte[8192];
            try (in) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (kept) {
                        kept.write(buf, 0, n);
                        if (kept.size() > STDERR_KEEP) {
                            byte[] all = kept.toByteArray();
                            kept.reset();
                            kept.write(all, all.length - STDERR_KEEP / 2, STDERR_KEEP / 2);
                        }
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
        }

        String text() {
            synchronized (kept) {
                return kept.toString(StandardCharsets.UTF_8);
            }
        }

        String await() throws InterruptedException {
            thread.join(10_000);
            return text();
        }
    }
}
