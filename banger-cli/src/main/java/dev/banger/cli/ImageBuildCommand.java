package dev.banger.cli;

import dev.banger.api.Methods;
import dev.banger.api.Params;
import dev.banger.core.Sizes;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class ImageBuildCommand extends Verb {
    ImageBuildCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "build";
    }

    @Override
    String description() {
        return "Build a guest image from distribution packages (debian by default; void needs its mirror).";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addPositional(parameter("DISTRO", "0..1", "debian (default) or void"));
        spec.addOption(option("NAME", String.class, "image name (default debian-SUITE, or void)", "--name"));
        spec.addOption(option("SUITE", String.class, "Debian suite (default bookworm)", "--suite"));
        spec.addOption(option("SIZE", String.class, "root filesystem size, sparse (default 2G)", "--size"));
        spec.addOption(option("PKG,PKG", String.class, "extra packages to install", "--packages"));
        spec.addOption(option("URL", String.class, "mirror (default: the one in this host's apt sources)", "--mirror"));
        spec.addOption(jsonFlag("the image"));
    }

    @Override
    int run(ParseResult args) {
        String size = args.matchedOptionValue("--size", null);
        String packages = args.matchedOptionValue("--packages", null);
        List<String> extra = packages == null ? null : Arrays.stream(packages.split(",")).map(String::trim).filter(p -> !p.isEmpty()).toList();
        Params.ImageBuild request = new Params.ImageBuild(
                args.hasMatchedPositional(0) ? args.matchedPositional(0).getValue() : null,
                args.matchedOptionValue("--name", null), args.matchedOptionValue("--suite", null),
                size == null ? null : Sizes.parseMib("--size", size), extra, args.matchedOptionValue("--mirror", null));
        Params.ImageInfo image = ProgressPrinter.call(ctx, Methods.IMAGE_BUILD, request, Params.ImageInfo.class);
        if (has(args, "--json")) {
            printJson(image);
        } else {
            println("built image " + image.manifest().name() + " (kernel " + image.manifest().kernelVersion() + ", "
                    + image.manifest().buildSeconds() + " s, " + ImageListCommand.mib(image.diskUsageBytes()) + " on disk) in " + image.dir());
        }
        return 0;
    }
}
