package dev.banger.nomad;

import dev.banger.api.Rpc;
import dev.banger.cli.CliContext;
import dev.banger.cli.DaemonClient;
import dev.banger.core.StatePaths;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.util.Map;

/**
 * bangerd through banger-cli's {@link DaemonClient}: one connection per call, the CLI's bounds and timeouts. The
 * plugin never starts bangerd: on a Nomad client it is a system service (systemd starts it, and it must outlive
 * the plugin, which Nomad restarts at will); one that is not running makes the fingerprint UNHEALTHY, saying so.
 */
final class DaemonBangerd implements Bangerd {
    private final CliContext ctx;

    DaemonBangerd(Path socket) {
        Writer none = Writer.nullWriter();
        this.ctx = new CliContext(new PrintWriter(none), new PrintWriter(none), Map.of(), pathsFor(socket), null, false);
    }

    /**
     * The state layout whose socket is {@code socket}: the system one, a BANGER_HOME's ({@code HOME/run/bangerd.sock}),
     * or, for any other run directory, one made around it (only its socket is used; its log path only appears in
     * messages).
     */
    static StatePaths pathsFor(Path socket) {
        StatePaths system = StatePaths.systemDefault();
        if (socket.equals(system.socket())) {
            return system;
        }
        Path run = socket.toAbsolutePath().getParent();
        if (run.getFileName() != null && run.getFileName().toString().equals("run") && run.getParent() != null) {
            StatePaths home = StatePaths.forHome(run.getParent());
            if (home.socket().equals(socket.toAbsolutePath())) {
                return home;
            }
        }
        return new StatePaths(run, run, run.resolve("bangerd.log"), run.resolve("config.toml"));
    }

    /** The socket of the plugin config, else the CLI's default in the plugin's environment. */
    static Path socketFor(dev.banger.nomad.cty.PluginConfig config, Map<String, String> env) {
        return config.socket() != null ? Path.of(config.socket()) : StatePaths.fromEnvironment(env).socket();
    }

    @Override
    public <P, R> R call(Rpc<P, R> rpc, P params) {
        return ctx.existingDaemon().call(rpc, params);
    }

    @Override
    public <P, R> Conversation<R> converse(Rpc<P, R> rpc, P params) {
        DaemonClient.Opened<R> o = ctx.existingDaemon().converse(rpc, params);
        return new Conversation<>(o.result(), o.in(), o.out(), o);
    }

    @Override
    public String where() {
        return ctx.paths().socket().toString();
    }
}
