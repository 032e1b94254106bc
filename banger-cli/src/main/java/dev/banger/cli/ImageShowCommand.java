package dev.banger.cli;

import dev.banger.api.ImageManifest;
import dev.banger.api.Methods;
import dev.banger.api.Params;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class ImageShowCommand extends Verb {
    ImageShowCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "show";
    }

    @Override
    String description() {
        return "Show one image: its manifest, files and users.";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addPositional(parameter("IMAGE", "1", "image name"));
        spec.addOption(jsonFlag("the image"));
    }

    @Override
    int run(ParseResult args) {
        String name = args.matchedPositional(0).getValue();
        Params.ImageInfo i = ctx.daemon().call(Methods.IMAGE_GET, new Params.ImageRef(name), Params.ImageInfo.class);
        if (has(args, "--json")) {
            printJson(i);
            return 0;
        }
        ImageManifest m = i.manifest();
        println(String.format("%-15s %s", "Name:", m.name()));
        println(String.format("%-15s %s", "Source:", m.source() + " (" + m.distro() + (m.suite() == null ? "" : " " + m.suite()) + ")"));
        println(String.format("%-15s %s", "Kernel:", m.kernelVersion() == null ? "-" : m.kernelVersion()));
        println(String.format("%-15s %s", "Recipe:", m.recipeVersion() == null ? "-" : m.recipeVersion()));
        println(String.format("%-15s %s", "Built:", m.builtAt() + (m.buildSeconds() > 0 ? " in " + m.buildSeconds() + " s" : "")));
        println(String.format("%-15s %s", "Boot styles:", String.join(", ", m.initStyles())));
        println(String.format("%-15s %s", "Directory:", i.dir()));
        println(String.format("%-15s %s", "On disk:", ImageListCommand.mib(i.diskUsageBytes())));
        println(String.format("%-15s %s", "Packages:", m.packages().size()));
        println(String.format("%-15s %s", "Used by:", i.usedBy().isEmpty() ? "-" : String.join(", ", i.usedBy())));
        Table t = new Table("FILE", "ROLE", "SIZE", "SHA256");
        for (ImageManifest.FileEntry f : m.files()) {
            t.row(f.path(), f.role(), ImageListCommand.mib(f.size()), f.sha256().substring(0, 16) + "...");
        }
        t.print(ctx.out());
        return 0;
    }
}
