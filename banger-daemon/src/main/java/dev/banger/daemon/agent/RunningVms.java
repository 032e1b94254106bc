package dev.banger.daemon.agent;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.daemon.vm.VmService;
import java.time.Duration;

/**
 * What every conversation with a VM's agent checks first (vm.exec and its detached kin, vm.cp, a VM's tasks): the
 * request names a VM, the VM runs, and how long to wait for its guest's ready milestone.
 */
public final class RunningVms {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final long DEFAULT_READY_MILLIS = 60_000;
    private static final long MAX_READY_MILLIS = 10 * 60_000;

    private RunningVms() {
    }

    /** The running VM {@code ref} names; {@code method} names the request in the error when there is no ref. */
    static VmRecord require(VmService vms, String ref, String method) {
        if (ref == null || ref.isBlank()) {
            throw new BangerException(ErrorCode.INVALID_PARAMS, method + " needs \"vm\": the VM's name or id");
        }
        return vms.getRunning(ref);
    }

    /** How long to wait for the guest-ready milestone: the request's {@code ready_timeout_ms}, 60 s by default. */
    static Duration readyTimeout(Long millis) {
        long ms = millis == null ? DEFAULT_READY_MILLIS : millis;
        if (ms < 0 || ms > MAX_READY_MILLIS) {
            throw new BangerException(ErrorCode.INVALID_ARGUMENT, "ready_timeout_ms must be from 0 to " + MAX_READY_MILLIS);
        }
        return Duration.ofMillis(ms);
    }

    /** The running VM {@code ref} names, once its guest reached its ready milestone (waited for, bounded). */
    public static VmRecord ready(VmService vms, AgentSessions sessions, String ref, Long readyTimeoutMs, String method) {
        Duration timeout = readyTimeout(readyTimeoutMs);
        VmRecord vm = require(vms, ref, method);
        sessions.awaitReady(vm, CONNECT_TIMEOUT, timeout);
        return vm;
    }
}
