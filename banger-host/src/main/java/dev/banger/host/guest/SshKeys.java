package dev.banger.host.guest;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.host.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/** SSH keys made with the system's ssh-keygen: banger's client key (once) and each VM's host key. */
public final class SshKeys {
    /** A key pair on disk: the private key file (0600) and its public line. */
    public record KeyPair(Path privateKey, String privateText, String publicLine) {
    }

    private SshKeys() {
    }

    /** banger's own client key in {@code sshDir}, made on first use. */
    public static KeyPair clientKey(Path sshDir) {
        Path key = sshDir.resolve("id_ed25519");
        try {
            if (!Files.exists(key)) {
                Files.createDirectories(sshDir);
                Files.setPosixFilePermissions(sshDir, PosixFilePermissions.fromString("rwx------"));
                generate(key, "banger");
            }
            return read(key);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot make banger's SSH key in " + sshDir + ": " + e.getMessage(), e);
        }
    }

    /** A fresh host key for one VM, written to {@code key} (in the VM's directory) and {@code key}.pub. */
    public static KeyPair hostKey(Path key, String comment) {
        Path dir = key.getParent();
        try {
            Files.deleteIfExists(key);
            Files.deleteIfExists(key.resolveSibling(key.getFileName() + ".pub"));
            generate(key, comment);
            return read(key);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot make the VM's host key in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void generate(Path key, String comment) throws IOException {
        HostCommand.Output out = HostCommand.run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment,
                "-f", key.toString()), Duration.ofSeconds(30));
        if (!out.ok()) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "ssh-keygen failed: " + out.text().strip()
                    + " (install openssh-client: ./setup.sh does)");
        }
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    }

    private static KeyPair read(Path key) throws IOException {
        return new KeyPair(key, Files.readString(key), Files.readString(key.resolveSibling(key.getFileName() + ".pub")).strip());
    }
}
