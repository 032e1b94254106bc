package dev.banger.host.net;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.Ipv4Subnet;
import dev.banger.core.net.BridgePlan;
import dev.banger.core.net.BridgeSpec;
import dev.banger.core.net.GuestGuard;
import dev.banger.core.net.InterfaceNames;
import dev.banger.core.net.LinkState;
import dev.banger.core.net.NetCommands;
import dev.banger.core.net.NftTables;
import dev.banger.core.net.TapPlan;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The host side of VM networking: the bridge, the VMs' taps, outbound NAT and the guard that keeps guests
 * from opening connections to the host ({@link GuestGuard}). Each operation looks at the
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

    /** The tap exists and is on no bridge ({@link TapPlan#createIsolated}). */
    public void createIsolatedTap(String tap) {
        converge(state -> TapPlan.createIsolated(state, tap));
    }

    /** The host's neighbour entry for a guest address on the bridge is gone (none is fine). */
    public void forgetNeighbour(String bridge, String address) {
        check(NetCommands.forgetNeighbour(bridge, address));
    }

    /** The tap is gone; one that is already gone is fine. */
    public void deleteTap(String tap) {
        InterfaceNames.validate(tap);
        converge(state -> TapPlan.delete(state, tap));
    }

    /**
     * Removes banger's taps on the bridge, the bridge, the NAT table and the guard table; what is already
     * gone is fine. The guard goes last, once no guest is attached to the bridge any more.
     */
    public void teardown(String bridge) {
        InterfaceNames.validate(bridge);
        converge(state -> TapPlan.teardown(state, bridge));
        removeTable(NetCommands.natOff());
        removeTable(NetCommands.guardOff());
    }

    /**
     * Puts up the guard (or replaces it, atomically): guests may open no connection to any of the host's
     * addresses except the services {@link GuestGuard#SERVICES} names on the gateway. It matches the
     * bridge by name, so it works before the bridge exists; without nft it cannot be had, and a VM must
     * then not start.
     */
    public void guardGuests(String bridge, Ipv4Subnet subnet) {
        InterfaceNames.validate(bridge);
        Objects.requireNonNull(subnet, "subnet");
        check(NetCommands.guardOn(bridge, subnet));
    }

    /**
     * Switches outbound NAT for the subnet on or off. On also turns on {@code net.ipv4.ip_forward}; off
     * leaves it as it is, because other software on the host (Docker, a VPN) may rely on it.
     */
    public void setNat(String bridge, Ipv4Subnet subnet, boolean enabled) {
        InterfaceNames.validate(bridge);
        Objects.requireNonNull(subnet, "subnet");
        if (!enabled) {
            removeTable(NetCommands.natOff());
            return;
        }
        if (!"1".equals(sysctls.read(NetCommands.IP_FORWARD_SYSCTL))) {
            sysctls.write(NetCommands.IP_FORWARD_SYSCTL, "1");
        }
        check(NetCommands.natOn(bridge, subnet));
    }

    /** Whether banger's NAT table exists (false when nft is not installed: then it cannot). */
    public boolean natEnabled() {
        return nftTables().map(NftTables::hasBangerTable).orElse(false);
    }

    /** Whether the guard table exists (false when nft is not installed: then it cannot). */
    public boolean guarded() {
        return nftTables().map(NftTables::hasGuardTable).orElse(false);
    }

    /** {@code nft -j list tables}, or empty when nft is not installed. */
    private Optional<String> nftTables() {
        List<String> argv = NetCommands.listNftTables();
        Executor.Result r = executor.run(argv);
        if (r.programMissing()) {
            return Optional.empty();
        }
        if (!r.ok()) {
            throw failure(argv, r);
        }
        return Optional.of(r.stdout());
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
    private void removeTable(List<String> argv) {
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
            if (attempt == ATTEMPTS || failed.code() != ErrorCode.HOST_FAILURE) {
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
                case "nft" -> "install nftables (apt install nftables): banger needs it to keep guests from reaching the host's"
                        + " services, and for NAT";
                default -> "install it (./setup.sh installs banger's host packages)";
            };
            return new BangerException(ErrorCode.MISSING_DEPENDENCY, "cannot run " + program + ": " + hint);
        }
        String stderr = r.stderr().strip();
        if (stderr.contains("Operation not permitted") || stderr.contains("Permission denied")) {
            return new BangerException(ErrorCode.PERMISSION_DENIED, "'" + shown + "' was refused (" + firstLine(stderr)
                    + "): bangerd must run as root (CAP_NET_ADMIN) to manage bridges, taps and nftables");
        }
        return new BangerException(ErrorCode.HOST_FAILURE, "'" + shown + "' failed with exit status " + r.exitStatus()
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
