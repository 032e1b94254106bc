package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.channel.copy.CopyRefusal;
import dev.banger.channel.copy.CopyTarget;
import dev.banger.channel.copy.SourceTree;
import dev.banger.core.copy.CopyRules;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code banger vm cp SRC DST}: a file or a directory tree between the host and a VM, one side written
 * {@code NAME:PATH} ({@link CopyRules}); modes, mtimes and symbolic links kept, streamed, every file checked
 * end to end. The host side is read and written here, as the user running banger; bangerd only carries the
 * bytes to the VM's agent. Where the copy lands follows {@code cp -r}: into an existing directory under the
 * source's name, else as the destination itself ({@link CopyTarget}).
 */
final class VmCpCommand extends Verb {
    /** Below the CLI's reply timeout, so that bangerd's answer (ready or not) comes first. */
    static final long READY_TIMEOUT_MS = 50_000;

    VmCpCommand(CliContext ctx) {
        super(ctx, "cp", "Copy a file or directory between the host and a VM: banger vm cp SRC NAME:DST, or banger vm cp NAME:SRC DST.");
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addPositional(parameter("SRC", "0", "1", "a host path, or NAME:PATH in a VM (a host path with a colon: ./a:b)"));
        spec.addPositional(parameter("DST", "1", "1", "a host path, or NAME:PATH in a VM (relative VM paths start at /root); "
                + "an existing directory receives the copy inside it"));
    }

    @Override
    int run(ParseResult args) {
        CopyRules.Plan plan = CopyRules.plan(args.matchedPositional(0).getValue(), args.matchedPositional(1).getValue());
        if (plan.intoVm()) {
            SourceTree source = local(() -> SourceTree.of(Path.of(plan.hostPath())));
            try (var opened = ctx.daemon().converse(Rpcs.VM_CP, request(plan))) {
                new CopyClient(opened.result().vm()).copyIn(opened.in(), opened.out(), source);
            }
        } else {
            CopyTarget target = local(() -> CopyTarget.resolve(absolute(plan.hostPath())));
            try (var opened = ctx.daemon().converse(Rpcs.VM_CP, request(plan))) {
                new CopyClient(opened.result().vm()).copyOut(opened.in(), target);
            }
        }
        return 0;
    }

    private static Params.VmCp request(CopyRules.Plan plan) {
        return new Params.VmCp(plan.vm(), plan.guestPath(), plan.direction(), READY_TIMEOUT_MS);
    }

    /** The host path made absolute, its trailing '/' kept (it says the destination must be a directory). */
    static String absolute(String hostPath) {
        String abs = Path.of(hostPath).toAbsolutePath().toString();
        return hostPath.endsWith("/") && !abs.equals("/") ? abs + "/" : abs;
    }

    private interface LocalCheck<T> {
        T get() throws CopyRefusal;
    }

    /** A check of the host side, before bangerd is asked anything. */
    private static <T> T local(LocalCheck<T> check) {
        try {
            return check.get();
        } catch (CopyRefusal e) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, e.getMessage());
        }
    }
}
