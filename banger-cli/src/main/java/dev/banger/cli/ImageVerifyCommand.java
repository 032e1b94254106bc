package dev.banger.cli;

import dev.banger.api.ErrorCode;
import dev.banger.api.Methods;
import dev.banger.api.Params;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class ImageVerifyCommand extends Verb {
    ImageVerifyCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "verify";
    }

    @Override
    String description() {
        return "Check an image: manifest against files, e2fsck -n, kernel formats, initramfs modules, rootfs contents.";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addPositional(parameter("IMAGE", "1", "image name"));
        spec.addOption(jsonFlag("the checks"));
    }

    @Override
    int run(ParseResult args) {
        String name = args.matchedPositional(0).getValue();
        Params.ImageVerification v = ctx.daemon().call(Methods.IMAGE_VERIFY, new Params.ImageRef(name), Params.ImageVerification.class);
        if (has(args, "--json")) {
            printJson(v);
        } else {
            Table t = new Table("CHECK", "RESULT", "DETAIL");
            for (Params.Check c : v.checks()) {
                t.row(c.name(), c.ok() ? "ok" : "FAIL", c.detail());
            }
            t.print(ctx.out());
            println(v.ok() ? "image " + name + " verified" : "image " + name + " FAILED verification");
        }
        return v.ok() ? ErrorCode.ExitStatus.SUCCESS : ErrorCode.ExitStatus.FAILURE;
    }
}
