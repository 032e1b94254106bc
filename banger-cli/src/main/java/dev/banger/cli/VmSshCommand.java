package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.core.StatePaths;
import dev.banger.core.guest.SshCommand;
import dev.banger.host.Interactive;
import dev.banger.host.guest.SshProbe;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VmSshCommand extends Verb {
    VmSshCommand(CliContext ctx) {
        super(ctx, "ssh", "Log in to a VM with OpenSSH (its host key pinned), or run a command: banger vm ssh NAME -- CMD...");
    }

    @Override
    void declare(CommandSpec spec) {
        Args.VM.declare(spec);
        spec.addPositional(parameter("CMD", "1..*", "0..*", "command to run instead of a login shell (after --)"));
    }

    @Override
    int run(ParseResult args) {
        List<String> command = args.matchedPositionals().size() > 1 ? args.matchedPositionals().get(1).stringValues() : List.of();
        VmRecord vm = ctx.daemon().call(Rpcs.VM_GET, new Params.VmRef(Args.VM.value(args)));
        return ssh(ctx, vm, command);
    }

    /** Runs OpenSSH on this terminal against a running VM; returns ssh's exit status (the command's, or 255). */
    static int ssh(CliContext ctx, VmRecord vm, List<String> command) {
        if (vm.state() != VmState.RUNNING) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "VM '" + vm.name() + "' is " + vm.state().wireName()
                    + ": start it first ('banger vm start " + vm.name() + "')");
        }
        if (vm.updatedAt() == null || Duration.between(vm.updatedAt(), Instant.now()).compareTo(SSHD_WAIT) < 0) {
            awaitSshd(vm); // recently started: sshd may still be coming up
        }
        Path key = ctx.paths().sshDir().resolve("id_ed25519");
        Path knownHosts = StatePaths.VmFile.KNOWN_HOSTS.in(Path.of(vm.runtime().vmDir()));
        boolean tty = command.isEmpty() ? true : ctx.terminal();
        return Interactive.run(SshCommand.argv(key, knownHosts, vm.runtime().dnsName(), vm.runtime().guestIp(), tty, command));
    }

    /**
     * A VM is reported ready before its sshd starts (the agent needs none), so right after {@code vm start}
     * sshd may still be coming up: wait for its banner, up to {@link #SSHD_WAIT}, then let OpenSSH try (and
     * say what it finds) either way. Only for a VM whose record changed (it became running) less than that
     * long ago: each probe costs the guest an sshd process, which under TCG is a good part of a second.
     */
    private static void awaitSshd(VmRecord vm) {
        String ip = vm.runtime().guestIp();
        long deadline = System.nanoTime() + SSHD_WAIT.toNanos();
        while (!SshProbe.answers(ip, Duration.ofMillis(250), Duration.ofSeconds(2)) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static final Duration SSHD_WAIT = Duration.ofSeconds(30);
}
