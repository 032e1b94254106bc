package dev.banger.cli;

import dev.banger.api.Methods;
import dev.banger.api.Params;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class ImageRmCommand extends Verb {
    ImageRmCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "rm";
    }

    @Override
    String[] aliases() {
        return new String[] {"delete"};
    }

    @Override
    String description() {
        return "Delete an image (refused while a VM uses it).";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addPositional(parameter("IMAGE", "1", "image name"));
    }

    @Override
    int run(ParseResult args) {
        String name = args.matchedPositional(0).getValue();
        Params.ImageDeleted d = ctx.daemon().call(Methods.IMAGE_DELETE, new Params.ImageRef(name), Params.ImageDeleted.class);
        println("deleted image " + d.name());
        return 0;
    }
}
