package dev.banger.core.guest;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The system OpenSSH client's argv for reaching a VM: banger's key only, the VM's pinned host key only
 * (its own known_hosts file, strict checking: no trust on first use), no agent or X11 forwarding.
 */
public final class SshCommand {
    private SshCommand() {
    }

    /**
     * @param remoteCommand empty for an interactive login; otherwise its words joined with spaces and run by
     *     the guest user's shell, as {@code ssh host a b} does (so {@code vm ssh NAME -- 'uname -a; free -m'}
     *     works as a person expects; {@code vm exec} is the tool that keeps argv exact)
     * @param tty force a terminal (interactive login, or a command given a terminal)
     */
    public static List<String> argv(Path key, Path knownHosts, String hostAlias, String address, boolean tty, List<String> remoteCommand) {
        List<String> argv = new ArrayList<>(List.of("ssh",
                "-i", key.toString(),
                "-o", "IdentitiesOnly=yes",
                "-o", "IdentityAgent=none",
                "-o", "UserKnownHostsFile=" + knownHosts,
                "-o", "StrictHostKeyChecking=yes",
                "-o", "HostKeyAlias=" + hostAlias,
                "-o", "PasswordAuthentication=no",
                "-o", "ForwardAgent=no",
                "-o", "ForwardX11=no",
                "-o", "ConnectTimeout=10",
                "-o", "LogLevel=ERROR",
                tty ? "-t" : "-T",
                "root@" + address));
        if (!remoteCommand.isEmpty()) {
            argv.add("--");
            argv.add(String.join(" ", remoteCommand));
        }
        return argv;
    }
}
