package dev.banger.core.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.disk.DiskCommands;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SshCommandTest {
    @Test
    void pinsTheHostKeyAndUsesOnlyBangersKey() {
        List<String> argv = SshCommand.argv(Path.of("/var/lib/banger/ssh/id_ed25519"), Path.of("/var/lib/banger/vms/x/known_hosts"),
                "demo.vm", "172.29.0.2", false, List.of("cat", "/etc/hostname"));
        assertThat(argv.get(0)).isEqualTo("ssh");
        assertThat(String.join(" ", argv)).contains("-o StrictHostKeyChecking=yes").contains("-o HostKeyAlias=demo.vm")
                .contains("-o UserKnownHostsFile=/var/lib/banger/vms/x/known_hosts").contains("-o IdentitiesOnly=yes")
                .doesNotContain("StrictHostKeyChecking=no").doesNotContain("accept-new");
        assertThat(argv.subList(argv.size() - 4, argv.size())).containsExactly("-T", "root@172.29.0.2", "--", "cat /etc/hostname");
    }

    @Test
    void anInteractiveLoginGetsATerminalAndNoCommand() {
        List<String> argv = SshCommand.argv(Path.of("/k"), Path.of("/h"), "a.vm", "172.29.0.3", true, List.of());
        assertThat(argv.subList(argv.size() - 2, argv.size())).containsExactly("-t", "root@172.29.0.3");
    }

    @Test
    void theCommandsWordsAreJoinedForTheGuestsShellAsOpenSshDoes() {
        List<String> argv = SshCommand.argv(Path.of("/k"), Path.of("/h"), "a.vm", "172.29.0.3", false, List.of("uname -a; free -m"));
        assertThat(argv.getLast()).isEqualTo("uname -a; free -m");
        argv = SshCommand.argv(Path.of("/k"), Path.of("/h"), "a.vm", "172.29.0.3", false, List.of("echo", "a b", "$HOME"));
        assertThat(argv.getLast()).as("no quoting: the guest's shell splits and expands, as with ssh host echo 'a b' '$HOME'")
                .isEqualTo("echo a b $HOME");
    }

    @Test
    void overlaysAreQcow2OverARawBaseAndWorkDisksAreLabelled() {
        assertThat(DiskCommands.overlay(Path.of("/img/rootfs.ext4"), Path.of("/vm/root.qcow2"), 0))
                .containsExactly("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", "/img/rootfs.ext4", "/vm/root.qcow2");
        assertThat(DiskCommands.overlay(Path.of("/b"), Path.of("/o"), 4096)).endsWith("4096M");
        assertThat(DiskCommands.workDisk(Path.of("/vm/work.img"), 4096)).contains("-L", "banger-work").endsWith("/vm/work.img", "4096M");
    }
}
