package dev.banger.daemon.e2b;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Set;

/**
 * The daemon's secret that sandboxes' envd tokens are derived from (E2bSecrets.envdToken): 32 random bytes in a root-only
 * file (0600) made once and kept, so tokens stay valid across daemon restarts.
 */
final class TokenSecret {
    static final int BYTES = 32;

    private TokenSecret() {
    }

    static byte[] load(Path file, SecureRandom random) {
        try {
            try {
                byte[] fresh = new byte[BYTES];
                random.nextBytes(fresh);
                try (SeekableByteChannel ch = Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                    ch.write(ByteBuffer.wrap(fresh));
                }
                return fresh;
            } catch (FileAlreadyExistsException e) {
                if (Files.isSymbolicLink(file) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    throw new BangerException(ErrorCode.HOST_FAILURE, file + " must be a regular file (banger's own): remove it");
                }
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
                if (!PosixFilePermissions.toString(perms).endsWith("------")) {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                }
                byte[] kept = Files.readAllBytes(file);
                if (kept.length != BYTES) {
                    throw new BangerException(ErrorCode.HOST_FAILURE, file + " is damaged (" + kept.length + " bytes, not " + BYTES
                            + "): remove it; sandboxes made before then will need new tokens (kill and create them again)");
                }
                return kept;
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot read or make " + file + ": " + e.getMessage(), e);
        }
    }
}
