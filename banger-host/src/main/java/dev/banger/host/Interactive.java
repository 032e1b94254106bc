package dev.banger.host;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.IOException;
import java.util.List;

/**
 * Runs a program on this terminal (stdin, stdout and stderr inherited, so a TTY stays a TTY) and returns
 * its exit status: how `banger vm ssh` hands the terminal to OpenSSH.
 */
public final class Interactive {
    private Interactive() {
    }

    public static int run(List<String> argv) {
        try {
            Process p = dev.banger.host.SystemPath.apply(new ProcessBuilder(argv)).inheritIO().start();
            return p.waitFor();
        } catch (IOException e) {
            throw new BangerException(ErrorCode.MISSING_DEPENDENCY, "cannot run " + argv.get(0) + ": " + e.getMessage()
                    + " (install openssh-client)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, argv.get(0) + " was interrupted");
        }
    }
}
