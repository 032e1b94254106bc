package dev.banger.host.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.host.HostCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real mkfs.vfat and mtools: the drive a guest will mount, read back without mounting. */
class ConfigDriveTest {
    @TempDir
    Path dir;

    @Test
    void writesALabelledVfatWithTheFiles() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/mcopy")) && Files.isExecutable(Path.of("/usr/sbin/mkfs.vfat")),
                "needs dosfstools and mtools (./setup.sh installs them)");
        Path image = dir.resolve("config.img");
        ConfigDrive.write(image, Map.of("meta-data", "instance-id: x\n", "banger.env", "BANGER_HOSTNAME='demo'\n"));
        assertThat(Files.getPosixFilePermissions(image)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        HostCommand.Output label = HostCommand.run(List.of("blkid", "-o", "value", "-s", "LABEL", image.toString()), Duration.ofSeconds(10));
        assertThat(label.text().strip()).isEqualTo("CIDATA");
        HostCommand.Output env = HostCommand.run(List.of("mtype", "-i", image.toString(), "::banger.env"), Duration.ofSeconds(10));
        assertThat(env.text()).isEqualTo("BANGER_HOSTNAME='demo'\n");
        assertThat(dir.resolve("config.img.files")).doesNotExist();
        // Writing again replaces the drive (a restarted VM gets fresh config).
        ConfigDrive.write(image, Map.of("meta-data", "instance-id: y\n"));
        assertThat(HostCommand.run(List.of("mtype", "-i", image.toString(), "::meta-data"), Duration.ofSeconds(10)).text()).isEqualTo("instance-id: y\n");
    }

    @Test
    void keysAreMadeWithOwnerOnlyModes() throws Exception {
        SshKeys.KeyPair client = SshKeys.clientKey(dir.resolve("ssh"));
        assertThat(client.publicLine()).startsWith("ssh-ed25519 ");
        assertThat(Files.getPosixFilePermissions(client.privateKey())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(dir.resolve("ssh"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(SshKeys.clientKey(dir.resolve("ssh")).publicLine()).as("made once, then reused").isEqualTo(client.publicLine());
        SshKeys.KeyPair host = SshKeys.hostKey(dir.resolve("ssh_host_ed25519_key"), "demo");
        assertThat(host.privateText()).startsWith("-----BEGIN OPENSSH PRIVATE KEY-----");
        assertThat(host.publicLine()).isNotEqualTo(client.publicLine());
    }
}
