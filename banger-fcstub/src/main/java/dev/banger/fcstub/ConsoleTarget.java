package dev.banger.fcstub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the guest's serial console goes: Firecracker writes it to its own stdout, which banger appends
 * to the VM's console log. When the stub's stdout is a regular file, QEMU appends to that file by name;
 * otherwise (a pipe, a terminal) QEMU inherits the stub's stdout and writes there.
 */
final class ConsoleTarget {
    private static final Path STDOUT = Path.of("/proc/self/fd/1");

    private ConsoleTarget() {
    }

    static QemuArgv.Serial ofStdout() {
        try {
            if (Files.isRegularFile(STDOUT)) {
                Path target = Files.readSymbolicLink(STDOUT);
                // a deleted file reads as "PATH (deleted)", and a file may have been replaced since:
                // only a name that still leads to the very same file will do
                if (target.isAbsolute() && Files.isRegularFile(target) && Files.isSameFile(target, STDOUT)) {
                    return new QemuArgv.ToFile(target);
                }
            }
        } catch (IOException e) {
            // fall through: inherit
        }
        return new QemuArgv.ToStdout();
    }
}
