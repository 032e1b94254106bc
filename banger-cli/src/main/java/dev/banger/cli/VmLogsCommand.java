package dev.banger.cli;

import dev.banger.api.Methods;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VmLogsCommand extends Verb {
    VmLogsCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "logs";
    }

    @Override
    String description() {
        return "Print a VM's serial console log; -f keeps following it while the VM runs.";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addPositional(parameter("VM", "1", "name or id"));
        spec.addOption(flag("follow the log until the VM stops (Ctrl-C to quit)", "-f", "--follow"));
    }

    @Override
    int run(ParseResult args) throws IOException, InterruptedException {
        String name = args.matchedPositional(0).getValue();
        VmRecord vm = ctx.daemon().call(Methods.VM_GET, new Params.VmRef(name), VmRecord.class);
        Path log = Path.of(vm.runtime().logPath());
        long offset = 0;
        long lastCheck = System.nanoTime();
        while (true) {
            offset = copyFrom(log, offset);
            if (!has(args, "--follow")) {
                return 0;
            }
            Thread.sleep(200);
            if (System.nanoTime() - lastCheck > 2_000_000_000L) {
                lastCheck = System.nanoTime();
                VmRecord now = ctx.daemon().call(Methods.VM_GET, new Params.VmRef(vm.id()), VmRecord.class);
                if (now.state() != VmState.RUNNING && now.state() != VmState.STARTING) {
                    copyFrom(log, offset);
                    return 0;
                }
            }
        }
    }

    /** Copies the log from {@code offset} to stdout; the console is the guest's text, printed as bytes. */
    private long copyFrom(Path log, long offset) throws IOException {
        try (InputStream in = Files.newInputStream(log)) {
            in.skipNBytes(Math.min(offset, Files.size(log)));
            byte[] chunk = in.readAllBytes();
            ctx.out().flush();
            System.out.write(chunk);
            System.out.flush();
            return offset + chunk.length;
        } catch (NoSuchFileException e) {
            return offset;
        }
    }
}
