package dev.banger.daemon.agent;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.daemon.vm.VmLiveness;
import dev.banger.daemon.vm.VmService;
import dev.banger.host.guest.AgentTransport;
import java.time.Duration;
import java.util.Objects;

/** What every conversation with a VM's agent checks first: the VM runs, how long to wait for its guest, how it is reached. */
final class RunningVms {
    private static final long DEFAULT_READY_MILLIS = 60_000;
    private static final long MAX_READY_MILLIS = 10 * 60_000;

    private RunningVms() {
    }

    /** The VM {@code ref} names, which must be running. */
    static VmRecord require(VmService vms, String ref, String method) {
        if (ref == null || ref.isBlank()) {
            throw new BangerException(ErrorCode.INVALID_PARAMS, method + " needs \"vm\": the VM's name or id");
        }
        VmRecord vm = vms.get(ref);
        if (vm.state() != VmState.RUNNING) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "VM '" + vm.name() + "' is " + vm.state().wireName()
                    + ": start it first ('banger vm start " + vm.name() + "')");
        }
        return vm;
    }

    /** How long to wait for the guest-ready milestone: the request's {@code ready_timeout_ms}, 60 s by default. */
    static Duration readyTimeout(Long millis) {
        long ms = millis == null ? DEFAULT_READY_MILLIS : millis;
        if (ms < 0 || ms > MAX_READY_MILLIS) {
            throw new BangerException(ErrorCode.INVALID_ARGUMENT, "ready_timeout_ms must be from 0 to " + MAX_READY_MILLIS);
        }
        return Duration.ofMillis(ms);
    }

    /** The agent transport the VM's boot offered, as the wire names it. */
    static String transport(VmLiveness liveness, VmRecord vm) {
        return Objects.requireNonNullElse(liveness.rediscoverHandles(vm).agent(), AgentTransport.TCP).wireName();
    }
}
