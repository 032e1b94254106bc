package dev.banger.nomad;

import io.grpc.BindableService;
import java.io.IOException;
import java.io.PrintStream;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import sun.misc.Signal;

/**
 * bin/banger-nomad: the Nomad task driver plugin, as Nomad runs it. Refuses to run without Nomad's magic cookie;
 * otherwise serves gRPC on a private Unix socket, prints go-plugin's handshake line on stdout, and serves until
 * the host's Shutdown RPC or SIGTERM (the host's Kill sends the RPC, then kills the process if it lingers). Either
 * way the socket and its directory are removed. Logs go to stderr, which the host copies into its own log.
 */
public final class PluginMain {
    private PluginMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        PluginLog.routeJavaLogging();
        PluginServer server = start(System.getenv(), System.out, System.err);
        if (server == null) {
            System.exit(1);
        }
        // As go-plugin's plugins do: Ctrl-C on a foreground Nomad agent reaches its plugins too, and the agent
        // stops them itself; a plugin that died first would only make that noisier.
        Signal.handle(new Signal("INT"), signal -> PluginLog.info("ignoring SIGINT: the host stops the plugin"));
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "plugin-stop-hook"));
        server.awaitStopped();
        System.exit(0);
    }

    /** Everything main does up to serving; null (after saying why on {@code err}) when the plugin must not run. */
    static PluginServer start(Map<String, String> env, PrintStream out, PrintStream err) {
        if (!Handshake.cookieAccepted(env)) {
            err.println(Handshake.REFUSAL);
            return null;
        }
        if (!Handshake.hostSpeaksAppProtocol(env)) {
            PluginLog.warn("the host speaks plugin protocol versions " + env.get(Handshake.VERSIONS_ENV)
                    + ", not " + Handshake.APP_PROTOCOL + "; serving " + Handshake.APP_PROTOCOL + " (the host will say"
                    + " whether it can use it)");
        }
        SocketDir dir = null;
        try {
            AutoMtls mtls = AutoMtls.fromEnvironment(env);
            dir = SocketDir.create(SocketDir.parent(env));
            BangerBasePlugin base = new BangerBasePlugin(version(), env);
            BangerDriver driver = new BangerDriver(() -> new DaemonBangerd(base.daemonSocket()), HostProbe::probe,
                    BangerDriver.FINGERPRINT_PERIOD, HostProbe.cpuMhzPerCore());
            List<BindableService> services = List.of(base, driver);
            PluginServer server = PluginServer.start(dir, mtls, services);
            Runtime.getRuntime().addShutdownHook(new Thread(driver::close, "driver-close-hook"));
            out.println(Handshake.line(dir.socket(), mtls == null ? null : mtls.serverCertDer()));
            out.flush();
            PluginLog.info("serving on " + dir.socket() + (mtls == null ? " (plain gRPC)" : " (mTLS)"));
            return server;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            if (dir != null) {
                dir.delete();
            }
            err.println("banger-nomad: cannot start the plugin: " + e.getMessage());
            return null;
        }
    }

    /** The jar's version (Nomad parses it as a semantic version); a build run from classes has none. */
    static String version() {
        String v = PluginMain.class.getPackage().getImplementationVersion();
        return v == null || v.isBlank() ? "0.0.0-dev" : v;
    }
}
