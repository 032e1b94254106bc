package dev.banger.cli;

import dev.banger.api.Methods;
import dev.banger.api.Params;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class ImageListCommand extends Verb {
    ImageListCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "list";
    }

    @Override
    String[] aliases() {
        return new String[] {"ls"};
    }

    @Override
    String description() {
        return "List images.";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addOption(jsonFlag("the images"));
    }

    @Override
    int run(ParseResult args) {
        Params.ImageList list = ctx.daemon().call(Methods.IMAGE_LIST, null, Params.ImageList.class);
        if (has(args, "--json")) {
            printJson(list);
            return 0;
        }
        Table t = new Table("NAME", "SOURCE", "DISTRO", "KERNEL", "DISK", "BUILT", "USED BY");
        for (Params.ImageInfo i : list.images()) {
            var m = i.manifest();
            t.row(m.name(), m.source(), m.distro() + (m.suite() == null ? "" : "/" + m.suite()), m.kernelVersion(),
                    mib(i.diskUsageBytes()), m.builtAt() == null ? null : m.builtAt().toString().substring(0, 16).replace('T', ' '),
                    String.join(",", i.usedBy()));
        }
        t.print(ctx.out());
        return 0;
    }

    static String mib(long bytes) {
        return bytes < 0 ? "?" : (bytes + (1 << 20) - 1) / (1 << 20) + " MiB";
    }
}
