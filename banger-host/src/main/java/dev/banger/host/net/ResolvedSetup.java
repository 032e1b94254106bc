package dev.banger.host.net;

import dev.banger.core.Ipv4Subnet;
import dev.banger.core.net.ResolvedIntegration;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Finds out whether systemd-resolved can route {@code .vm} to banger's DNS server and, if it can, tells it
 * to ({@link ResolvedIntegration} decides what to run). Resolver trouble never stops the daemon: whatever
 * goes wrong comes back as advice to log and to show in {@code banger doctor}.
 */
public final class ResolvedSetup {
    private final Executor executor;
    private final BooleanSupplier resolvedRunning;

    public ResolvedSetup(Executor executor, BooleanSupplier resolvedRunning) {
        this.executor = Objects.requireNonNull(executor);
        this.resolvedRunning = Objects.requireNonNull(resolvedRunning);
    }

    public static ResolvedSetup direct() {
        return new ResolvedSetup(new ProcessExecutor(Duration.ofSeconds(10)), ResolvedSetup::resolvedProcessRunning);
    }

    public ResolvedIntegration.Facts facts() {
        boolean present = !executor.run(List.of("resolvectl", "--version")).programMissing();
        return new ResolvedIntegration.Facts(resolvedRunning.getAsBoolean(), present);
    }

    /**
     * Routes ~vm to the gateway on the bridge. Call after the bridge exists, and again whenever it was
     * recreated: resolved forgets a link's settings with the link. Empty when done, else the advice.
     */
    public Optional<String> routeVmDomain(String bridge, Ipv4Subnet subnet) {
        ResolvedIntegration.Decision decision = ResolvedIntegration.decide(facts(), bridge, subnet);
        if (decision instanceof ResolvedIntegration.Advise(String text)) {
            return Optional.of(text);
        }
        for (List<String> argv : ((ResolvedIntegration.Configure) decision).commands()) {
            Executor.Result r = executor.run(argv);
            if (!r.ok()) {
                String why = "'" + String.join(" ", argv) + "' failed with exit status " + r.exitStatus()
                        + (r.stderr().isBlank() ? "" : " (" + r.stderr().strip().lines().findFirst().orElse("") + ")");
                return Optional.of(ResolvedIntegration.advice(why, bridge, subnet));
            }
        }
        return Optional.empty();
    }

    /** The daemon's executable is /lib/systemd/systemd-resolved (or /usr/lib/...); its name is enough. */
    static boolean resolvedProcessRunning() {
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().command()
                .map(c -> c.endsWith("/systemd-resolved")).orElse(false));
    }
}
