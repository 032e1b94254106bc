package dev.banger.core.mount;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class VirtiofsdCommandTest {
    private static final Path SOCK = Path.of("/run/banger/mounts/0123456789ab/0/fs.sock");
    private static final Path ROOT = Path.of("/run/banger/mounts/0123456789ab/0.root");
    private static final MountRules.Identity USER = new MountRules.Identity(1000, 1001);

    @Test
    void qemusVirtiofsdRunsAsTheUserInAUserNamespaceOfItsOwn() {
        List<String> argv = VirtiofsdCommand.argv(new VirtiofsdCommand.Binary(VirtiofsdCommand.Flavor.QEMU, Path.of("/usr/lib/qemu/virtiofsd")),
                USER, SOCK, ROOT, true);
        assertThat(argv).containsExactly("setpriv", "--reuid=1000", "--regid=1001", "--clear-groups", "--",
                "unshare", "--user", "--map-root-user", "--",
                "/usr/lib/qemu/virtiofsd", "--socket-path=" + SOCK, "-o", "source=" + ROOT, "-o", "sandbox=namespace",
                "--rlimit-nofile=0", "-o", "cache=auto");
    }

    @Test
    void theRustOneGetsItsOwnOptionsAndReadOnlyAsASecondFence() {
        List<String> argv = VirtiofsdCommand.argv(new VirtiofsdCommand.Binary(VirtiofsdCommand.Flavor.RUST, Path.of("/usr/libexec/virtiofsd")),
                USER, SOCK, ROOT, true);
        assertThat(argv).contains("--shared-dir=" + ROOT, "--sandbox=namespace", "--readonly").doesNotContain("-o");
        assertThat(VirtiofsdCommand.argv(new VirtiofsdCommand.Binary(VirtiofsdCommand.Flavor.RUST, Path.of("/usr/libexec/virtiofsd")),
                USER, SOCK, ROOT, false)).doesNotContain("--readonly");
    }

    @Test
    void theLockFileIsTheSocketPathWithDots() {
        assertThat(VirtiofsdCommand.pidFile(VirtiofsdCommand.Flavor.QEMU, Path.of("/tmp/vfst/sock/s.sock")))
                .hasValue(Path.of("/run/virtiofsd/.tmp.vfst.sock.s.sock.pid"));
        assertThat(VirtiofsdCommand.pidFile(VirtiofsdCommand.Flavor.RUST, SOCK)).isEmpty();
    }

    @Test
    void findsTheSocketOfAVirtiofsdCommandLineOnly() {
        assertThat(VirtiofsdCommand.socketOf(List.of("/usr/lib/qemu/virtiofsd", "--socket-path=" + SOCK, "-o", "source=/x"))).hasValue(SOCK);
        assertThat(VirtiofsdCommand.socketOf(List.of("/usr/bin/cat", "--socket-path=" + SOCK))).isEmpty();
        assertThat(VirtiofsdCommand.socketOf(List.of("virtiofsd", "--socket-path=rel.sock"))).isEmpty();
        assertThat(VirtiofsdCommand.socketOf(List.of())).isEmpty();
    }
}
