package dev.banger.host.vm;

import dev.banger.core.vm.QemuCommand;
import dev.banger.host.proc.DetachedProcess;
import dev.banger.host.proc.GracefulStop;
import dev.banger.host.proc.ProcessTable;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * QEMU's processes: started detached ({@link DetachedProcess}: a VM outlives the daemon), found again by
 * the QMP socket path in their command line ({@link QemuCommand} puts it there verbatim), stopped with
 * the ACPI power button over QMP ({@link GracefulStop}). A pid alone is never trusted after a restart,
 * since the kernel reuses pids: every check and signal first matches the command line.
 */
public final class QemuProcess {
    /** The power button is pressed again at this interval (see {@link GracefulStop}). */
    private static final Duration REPRESS = Duration.ofSeconds(3);

    private QemuProcess() {
    }

    /**
     * Starts {@code argv} (a QEMU command line from {@link QemuCommand#argv}) detached, its stdout and stderr
     * appended to {@code log} (each start begins with a header line there).
     */
    public static DetachedProcess.Launched launch(List<String> argv, Path log) {
        return DetachedProcess.launch(new DetachedProcess.Spec(argv, new File("/").toPath(), log, log, "QEMU",
                "install Debian's qemu-system-x86 package"));
    }

    /**
     * This host's QEMU version as {@code qemu-system-x86_64 --version} prints it ("7.2.22"): what a snapshot taken
     * here records, and what a restore must find. Empty when QEMU is missing or says something else.
     */
    public static Optional<String> version() {
        dev.banger.host.HostCommand.Output out = dev.banger.host.HostCommand.run(List.of(QemuCommand.BINARY, "--version"),
                Duration.ofSeconds(10));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("version (\\S+)").matcher(out.text());
        return out.ok() && m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /**
     * The QEMU serving QMP on {@code qmpSocket}, found by one scan of the process table. Empty when none
     * runs. Two would mean the second took over the first's socket path; that is reported rather than
     * guessed at.
     */
    public static Optional<Long> findByQmpSocket(Path qmpSocket) {
        List<Long> found = new ArrayList<>();
        ProcessTable.scan((pid, argv) -> {
            if (QemuCommand.isQemuWithQmpSocket(argv, qmpSocket)) {
                found.add(pid);
            }
        });
        if (found.size() > 1) {
            throw new dev.banger.api.BangerException(dev.banger.api.ErrorCode.HOST_FAILURE, "QEMU processes " + found
                    + " all name QMP socket " + qmpSocket + ": only one can own it; stop the one you did not expect (kill PID) and retry");
        }
        return found.stream().findFirst();
    }

    /** Whether {@code pid} runs and is the QEMU serving QMP on {@code qmpSocket} (not a reused pid). */
    public static boolean isQemuOf(long pid, Path qmpSocket) {
        return ProcessTable.isAlive(pid) && ProcessTable.cmdline(pid).map(argv -> QemuCommand.isQemuWithQmpSocket(argv, qmpSocket))
                .orElse(false);
    }

    /**
     * Every running QEMU whose QMP socket is a file directly inside a subdirectory of {@code vmsDir}
     * (banger's layout: vms/ID/api.sock), by pid, with that socket's path.
     */
    public static Map<Long, Path> findUnder(Path vmsDir) {
        Map<Long, Path> found = new TreeMap<>();
        ProcessTable.scan((pid, argv) -> QemuCommand.qmpSocketOf(argv).filter(sock -> vmsDir.equals(sock.getParent().getParent()))
                .ifPresent(sock -> found.put(pid, sock)));
        return found;
    }

    /**
     * Stops a VM's QEMU: the ACPI power button over QMP, again every few seconds, up to {@code grace} for
     * the guest to power off, then SIGKILL; at once when QMP cannot be reached. Never signals a pid whose
     * command line does not name {@code qmpSocket}.
     */
    public static GracefulStop.Stopped stop(long pid, Path qmpSocket, Duration grace) {
        return GracefulStop.stop(pid, p -> isQemuOf(p, qmpSocket), timeout -> pressPowerButton(qmpSocket, timeout),
                "the power button", grace, REPRESS, QmpClient.DEFAULT_TIMEOUT);
    }

    /**
     * One short QMP connection per press: QEMU serves one client at a time, and others (a status query)
     * must not be locked out for the whole grace period.
     */
    private static void pressPowerButton(Path qmpSocket, Duration timeout) {
        try (QmpClient qmp = QmpClient.connect(qmpSocket, timeout)) {
            qmp.powerdown();
        }
    }
}
