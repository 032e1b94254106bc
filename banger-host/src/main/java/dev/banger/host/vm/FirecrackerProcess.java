package dev.banger.host.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.vm.FirecrackerBoot;
import dev.banger.core.vm.FirecrackerCommand;
import dev.banger.host.proc.DetachedProcess;
import dev.banger.host.proc.GracefulStop;
import dev.banger.host.proc.ProcessTable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Firecracker's processes: started detached like any VMM ({@link DetachedProcess}); its stdout is the
 * guest's serial console, so it goes to the VM's console log, its stderr to a file of its own. A running
 * one is found again by the {@code --api-sock} path (or, jailed, the {@code --id}) in its command line
 * ({@link FirecrackerCommand}); it is stopped with Ctrl-Alt-Del through its API ({@link GracefulStop}).
 */
public final class FirecrackerProcess {
    private static final String INSTALL = "install Firecracker (github.com/firecracker-microvm/firecracker releases) and set"
            + " [vmm] firecracker in config.toml to its path, or use --vmm qemu";
    /** Ctrl-Alt-Del is an event: one sent before the guest's init listens is lost, so it is sent again. */
    private static final Duration RESEND = Duration.ofSeconds(3);
    private static final Duration PRESS_TIMEOUT = Duration.ofSeconds(2);
    /** A JVM-based stand-in (the test stub) takes a second or two to say its version. */
    private static final Duration VERSION_TIMEOUT = Duration.ofSeconds(30);
    private static final java.util.regex.Pattern VERSION = java.util.regex.Pattern.compile("Firecracker v(\\S+)");

    private FirecrackerProcess() {
    }

    /**
     * Starts {@code argv} ({@link FirecrackerCommand#argv}, or a jailer command line) in its own session, in
     * {@code workDir}: stdout to {@code consoleLog}, stderr to {@code stderrFile} (each start begins with a
     * header line there).
     */
    public static DetachedProcess.Launched launch(List<String> argv, Path workDir, Path consoleLog, Path stderrFile) {
        return DetachedProcess.launch(new DetachedProcess.Spec(argv, workDir, consoleLog, stderrFile, "firecracker", INSTALL));
    }

    /**
     * VM {@code vmId}'s Firecracker, serving its API on {@code socket} (or jailed under that id, see
     * {@link FirecrackerCommand#isFirecrackerOf}); two would be a mistake reported, not guessed at.
     */
    public static Optional<Long> findByApiSocket(Path socket, String vmId) {
        List<Long> found = new ArrayList<>();
        ProcessTable.scan((pid, argv) -> {
            if (FirecrackerCommand.isFirecrackerOf(argv, socket, vmId)) {
                found.add(pid);
            }
        });
        if (found.size() > 1) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "processes " + found + " all serve Firecracker's API on " + socket
                    + ": only one can own it; stop the one you did not expect (kill PID) and retry");
        }
        return found.stream().findFirst();
    }

    /** Whether {@code pid} runs and is VM {@code vmId}'s Firecracker (not a reused pid). */
    public static boolean isFirecrackerOf(long pid, Path socket, String vmId) {
        return ProcessTable.isAlive(pid) && ProcessTable.cmdline(pid)
                .map(argv -> FirecrackerCommand.isFirecrackerOf(argv, socket, vmId)).orElse(false);
    }

    /** {@code program} as an executable path: an absolute path as is, a bare name looked up on PATH. */
    public static Path resolveProgram(String program, String what) {
        return DetachedProcess.findOnPath(program).orElseThrow(() -> new BangerException(ErrorCode.MISSING_DEPENDENCY,
                program + " (" + what + ") is not installed (or not executable): " + INSTALL));
    }

    /**
     * The version {@code binary --version} prints ("Firecracker v1.10.1" gives "1.10.1"): what a snapshot taken here
     * records and what a restore must find. Empty when the program does not run or says something else.
     */
    public static Optional<String> version(Path binary) {
        dev.banger.host.HostCommand.Output out = dev.banger.host.HostCommand.run(List.of(binary.toString(), "--version"),
                VERSION_TIMEOUT);
        java.util.regex.Matcher m = VERSION.matcher(out.text());
        return out.ok() && m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** Every running Firecracker whose API socket lies directly in a subdirectory of {@code vmsDir} (vms/ID/api.sock). */
    public static Map<Long, Path> findUnder(Path vmsDir) {
        Map<Long, Path> found = new TreeMap<>();
        ProcessTable.scan((pid, argv) -> FirecrackerCommand.apiSocketOf(argv)
                .filter(sock -> sock.getParent() != null && vmsDir.equals(sock.getParent().getParent()))
                .ifPresent(sock -> found.put(pid, sock)));
        return found;
    }

    /**
     * Ctrl-Alt-Del through the API, again every few seconds, up to {@code grace} for the guest to reset and
     * Firecracker to exit, then SIGKILL. Never signals a pid that is not VM {@code vmId}'s Firecracker.
     */
    public static GracefulStop.Stopped stop(long pid, Path apiSocket, String vmId, Duration grace) {
        return GracefulStop.stop(pid, p -> isFirecrackerOf(p, apiSocket, vmId), timeout -> {
            try (FirecrackerApi client = FirecrackerApi.open(apiSocket)) {
                client.send(FirecrackerBoot.sendCtrlAltDel());
            }
        }, "Ctrl-Alt-Del", grace, RESEND, PRESS_TIMEOUT);
    }
}
