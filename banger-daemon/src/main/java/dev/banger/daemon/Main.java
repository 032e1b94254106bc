package dev.banger.daemon;

import dev.banger.api.BangerException;
import dev.banger.core.StatePaths;
import dev.banger.daemon.vm.HomeRecovery;
import dev.banger.host.HostInfo;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** bangerd's entry point. Runs in the foreground; the CLI or systemd detaches it. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        configureLogging();
        if (args.length > 0 && (args[0].equals("--version") || args[0].equals("version"))) {
            System.out.println("bangerd " + dev.banger.api.BangerVersion.current());
            return;
        }
        HomeRecovery.Mode mode;
        try {
            mode = HomeRecovery.Mode.fromArgs(java.util.List.of(args));
        } catch (BangerException e) {
            System.err.println("bangerd: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (!HostInfo.isRoot()) {
            System.err.println("bangerd: error: bangerd must run as root: it creates tap devices, bridges and VM processes. "
                    + "Start it with sudo, or as the systemd service (contrib/bangerd.service).");
            System.exit(1);
        }
        Daemon daemon;
        try {
            daemon = Daemon.start(StatePaths.fromEnvironment(System.getenv()), mode);
        } catch (BangerException e) {
            System.err.println("bangerd: error: " + e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "shutdown"));
        daemon.run();
    }

    private static void configureLogging() {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$-7s %3$s: %5$s%6$s%n");
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler console = new ConsoleHandler();
        console.setFormatter(new SimpleFormatter());
        Level level = Level.parse(System.getenv().getOrDefault("BANGER_LOG_LEVEL", "INFO"));
        console.setLevel(level);
        root.setLevel(level);
        root.addHandler(console);
    }
}
