package dev.banger.it;

import java.nio.file.Path;
import java.time.Duration;

/**
 * {@link NetnsHome} for tests outside this package: banger-nomad's NomadDriverIT lives in the plugin's package
 * (its harness is package-private there) and needs a namespaced daemon with the shared image, its home and its
 * socket, and whether a VM exists.
 */
public final class NomadNetns implements AutoCloseable {
    private final NetnsHome ns;

    private NomadNetns(NetnsHome ns) {
        this.ns = ns;
    }

    /** A namespace home with the shared test image, its daemon answering. */
    public static NomadNetns start() {
        NomadNetns n = new NomadNetns(NetnsHome.withSharedImage(null));
        n.ns.ok(Duration.ofMinutes(2), "vm", "list");
        return n;
    }

    public Path home() {
        return ns.home.path();
    }

    public Path socket() {
        return ns.home.socket();
    }

    /** kill -9 of bangerd, then a new one started (by the CLI, in the namespace), whose reconcile adopts the VMs. */
    public void killAndRestartDaemon() {
        killDaemon();
        restartDaemon();
    }

    /** kill -9 of bangerd, gone when this returns; nothing is started in its place. */
    public void killDaemon() {
        ns.killDaemon();
    }

    /** A new bangerd, started by the CLI in the namespace as after {@link #killAndRestartDaemon}; it answers on return. */
    public void restartDaemon() {
        ns.ok(Duration.ofMinutes(2), "vm", "list");
    }

    /** How long `banger vm run --name NAME -- true` takes (create, boot, the command), the VM deleted afterwards. */
    public Duration timeVmRun(String name) {
        long t0 = System.nanoTime();
        ns.ok(Duration.ofMinutes(4), "vm", "run", "--name", name, "--", "true");
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        ns.ok(Duration.ofMinutes(2), "vm", "delete", "--force", name);
        return took;
    }

    /** Whether bangerd knows a VM by this name or id. */
    public boolean vmExists(String ref) {
        try (RpcConnection c = RpcConnection.open(ns.home.socket())) {
            return c.call("vm.get", "{\"vm\":\"" + ref + "\"}").has("result");
        }
    }

    /** VMs bangerd knows, by name, as `banger vm list` prints them. */
    public String vmList() {
        return ns.ok(Duration.ofMinutes(1), "vm", "list").stdout();
    }

    @Override
    public void close() {
        ns.close();
    }
}
