package dev.banger.host.net;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.Ipv4Subnet;
import dev.banger.core.net.BridgePlan;
import dev.banger.core.net.BridgeSpec;
import dev.banger.core.net.InterfaceNames;
import dev.banger.core.net.LinkState;
import dev.banger.core.net.NetCommands;
import dev.banger.core.net.NftTables;
import dev.banger.core.net.TapPlan;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The host side of VM networking: the bridge, the VMs' taps and outbound NAT. Each operation looks at the
 * host ({@code ip -j -d addr show}), asks a pure plan in {@code dev.banger.core.net} what is missing and
 * runs only that, so every operation is idempotent and finishes whatever a crash left half done. Names
 * are validated before any command runs.
 */
public final class NetworkHost {
    /** A step can fail because something else changed the same link after we looked: look again, this often. */
    private static final int ATTEMPTS = 3;

    private final Executor executor;
    private final Sysctls sysctls;

    public NetworkHost(Executor executor, Sysctls sysctls) {
        this.executor = Objects.requireNonNull(executor);
        this.sysctls = Objects.requireNonNull(sysctls);
    }

    /** Runs commands directly on this host, 10 s each at most. */
    public static NetworkHost direct() {
        return new NetworkHost(new ProcessExecutor(Duration.ofSeconds(10)), new ProcSysctls());
    }

    /** The host's links as they are now. */
    public LinkState observe() {
        List<String> argv = NetCommands.observe();
        Executor.Result r = executor.run(argv);
        if (!r.ok()) {
            throw failure(argv, r);
        }
        return LinkState.parse(r.stdout());
    }

    /** The bridge exists, has the fixed MAC and the gateway address (only that), and is up. */
    public void ensureBridge(String bridge, Ipv4Subnet subnet) {
        BridgeSpec wanted = new BridgeSpec(bridge, subnet);
        converge(state -> BridgePlan.steps(state, wanted));
    }

    /** The tap exists, is a port of the bridge and is up; a tap already like that is left alone. */
    public void createTap(String tap, String bridge) {
        InterfaceNames.validate(tap);
        InterfaceNames.validate(bridge);
        converge(state -> TapPlan.create(state, tap, bridge));
    }

    /** The tap is gone; one that is already gone is fine. */
    public void deleteTap(String tap) {
        InterfaceNames.validate(tap);
        converge(state -> TapPlan.delete(state, tap));
    }

    /** Removes banger's taps on the bridge, the bridge and the nft table; what is already gone is fine. */
    public void teardown(String bridge) {
        InterfaceNames.validate(bridge);
        converge(state -> TapPlan.teardown(state, bridge));
        disableNat();
    }

    /**
     * Switches outbound NAT for the subnet on or off. On also turns on {@code net.ipv4.ip_forward}; off
     * leaves it as it is, because other software on the host (Docker, a VPN) may rely on it.
     */
    public void setNat(String bridge, Ipv4Subnet subnet, boolean enabled) {
        InterfaceNames.validate(bridge);
        Objects.requireNonNull(subnet, "subnet");
        if (!enabled) {
            disableNat();
            return;
        }
        if (!"1".equals(sysctls.read(NetCommands.IP_FORWARD_SYSCTL))) {
            sysctls.write(NetCommands.IP_FORWARD_SYSCTL, "1");
        }
        check(NetCommands.natOn(bridge, subnet));
    }

    /** Whether banger's nft table exists (false when nft is not installed: then it cannot). */
    public boolean natEnabled() {
        List<String> argv = NetCommands.listNftTables();
        Executor.Result r = executor.run(argv);
        if (r.programMissing()) {
            return false;
        }
        if (!r.ok()) {
            throw failure(argv, r);
        }
        return NftTables.hasBangerTable(r.stdout());
    }

    /** Names of the taps starting with {@code prefix}, sorted: for sweeping taps no VM owns. */
    public List<String> listTaps(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        return observe().tapNames(prefix);
    }

    /** The taps named with {@code prefix} that no process holds open (up, without a carrier): safe to remove. */
    public List<String> listIdleTaps(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        return observe().idleTapNames(prefix);
    }

    /** Without nft there can be no table of banger's to remove, so a host without nftables is fine here. */
    private void disableNat() {
        List<String> argv = NetCommands.natOff();
        Executor.Result r = executor.run(argv);
        if (r.ok() || r.programMissing()) {
            return;
        }
        throw failure(argv, r);
    }

    private void converge(Function<LinkState, List<List<String>>> plan) {
        for (int attempt = 1; ; attempt++) {
            List<List<String>> steps = plan.apply(observe());
            BangerException failed = null;
            for (List<String> step : steps) {
                Executor.Result r = executor.run(step);
                if (!r.ok()) {
                    failed = failure(step, r);
                    break;
                }
            }
            if (failed == null) {
                return;
            }
            // Permission and missing programs will not get better; anything else may be a race: look again.
            if (attempt == ATTEMPTS || failed.code() != ErrorCode.INTERNAL) {
                throw failed;
            }
        }
    }

    private void check(List<String> argv) {
        Executor.Result r = executor.run(argv);
        if (!r.ok()) {
            throw failure(argv, r);
        }
    }

    /** A failed command as an error that says what to do. */
    static BangerException failure(List<String> argv, Executor.Result r) {
        String program = argv.get(0);
        String shown = shown(argv);
        if (r.programMissing()) {
            String hint = switch (program) {
                case "ip" -> "install iproute2 (apt install iproute2)";
                case "nft" -> "install nftables (apt install nftables), or set network.nat = false in config.toml";
                default -> "install it (./setup.sh installs banger's host packages)";
            };
            return new BangerException(ErrorCode.FAILED_PRECONDITION, "cannot run " + program + ": " + hint);
        }
        String stderr = r.stderr().strip();
        if (stderr.contains("Operation not permitted") || stderr.contains("Permission denied")) {
            return new BangerException(ErrorCode.PERMISSION_DENIED, "'" + shown + "' was refused (" + firstLine(stderr)
                    + "): bangerd must run as root (CAP_NET_ADMIN) to manage bridges, taps and nftables");
        }
        return new BangerException(ErrorCode.INTERNAL, "'" + shown + "' failed with exit status " + r.exitStatus()
                + (stderr.isEmpty() ? "" : ": " + abbreviate(stderr)));
    }

    /** nft scripts are long: show their first words only. */
    private static String shown(List<String> argv) {
        String s = String.join(" ", argv);
        return s.length() <= 160 ? s : s.substring(0, 157) + "...";
    }

    private static String firstLine(String s) {
        return s.lines().findFirst().orElse(s);
    }

    private static String abbreviate(String s) {
        String oneLine = String.join(" | ", s.lines().limit(5).toList());
        return oneLine.length() <= 500 ? oneLine : oneLine.substring(0, 497) + "...";
    }
}
