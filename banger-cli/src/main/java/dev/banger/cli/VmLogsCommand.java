package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.core.ConsoleEscaper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code banger vm logs NAME}: a VM's serial console log. The console is the guest's, and the guest is
 * untrusted: its control characters and escape sequences (OSC 52 clipboard writes, title changes, screen
 * clears) are shown escaped ({@link ConsoleEscaper}), on a terminal or not, as {@code vm ports} never prints
 * a guest's control characters either; {@code --raw} writes the bytes as they are.
 */
final class VmLogsCommand extends Verb {
    private static final int CHUNK = 64 * 1024;

    VmLogsCommand(CliContext ctx) {
        super(ctx, "logs", "Print a VM's serial console log, control sequences shown escaped; -f keeps following it while the VM runs.");
    }

    @Override
    void declare(CommandSpec spec) {
        Args.VM.declare(spec);
        spec.addOption(flag("follow the log until the VM stops (Ctrl-C to quit)", "-f", "--follow"));
        spec.addOption(flag("write the console's bytes as they are, escape sequences included (only for a terminal "
                + "you trust with what the guest printed, or a file)", "--raw"));
    }

    @Override
    int run(ParseResult args) throws IOException, InterruptedException {
        VmRecord vm = ctx.daemon().call(Rpcs.VM_GET, new Params.VmRef(Args.VM.value(args)));
        Path log = Path.of(vm.runtime().logPath());
        ConsoleEscaper escaper = has(args, "--raw") ? null : new ConsoleEscaper();
        long offset = 0;
        long lastCheck = System.nanoTime();
        try {
            while (true) {
                offset = copyFrom(log, offset, escaper);
                if (!has(args, "--follow")) {
                    return 0;
                }
                Thread.sleep(200);
                if (System.nanoTime() - lastCheck > 2_000_000_000L) {
                    lastCheck = System.nanoTime();
                    VmRecord now = ctx.daemon().call(Rpcs.VM_GET, new Params.VmRef(vm.id()));
                    if (now.state() != VmState.RUNNING && now.state() != VmState.STARTING) {
                        copyFrom(log, offset, escaper);
                        return 0;
                    }
                }
            }
        } finally {
            if (escaper != null) {
                ctx.out().print(escaper.finish());
                ctx.out().flush();
            }
        }
    }

    /**
     * Copies the log from {@code offset} to stdout, escaped unless {@code escaper} is null; returns where
     * it stopped. The VM's directory is root's, yet no link in it is followed: a link where the log should
     * be is an error, and the file is opened with O_NOFOLLOW so one made after the check fails too.
     */
    private long copyFrom(Path log, long offset, ConsoleEscaper escaper) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(log, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return offset;
        }
        if (!attrs.isRegularFile()) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "the console log " + log + " is "
                    + (attrs.isSymbolicLink() ? "a symbolic link" : "not a regular file")
                    + ": banger reads only a plain file there; remove it, and the VM's next start writes a new log");
        }
        try (SeekableByteChannel in = Files.newByteChannel(log, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long position = offset <= in.size() ? offset : 0; // shorter than what was read: a new log, from its start
            in.position(position);
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
            ctx.out().flush();
            int n;
            while ((n = in.read(chunk)) > 0) {
                if (escaper == null) {
                    System.out.write(chunk.array(), 0, n);
                } else {
                    ctx.out().print(escaper.escape(chunk.array(), 0, n));
                }
                position += n;
                chunk.clear();
            }
            ctx.out().flush();
            System.out.flush();
            return position;
        } catch (NoSuchFileException e) {
            return offset;
        }
    }
}
