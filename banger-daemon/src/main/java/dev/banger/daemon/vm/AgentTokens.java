package dev.banger.daemon.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.StatePaths;
import dev.banger.host.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Each VM's agent token: 32 random bytes (base64url), made once per VM and kept in its directory
 * ({@code agent.token}, 0600), delivered to the guest in its config drive; the agent answers no one
 * without it (over TCP, where vsock's host-only reach does not protect it).
 */
public final class AgentTokens {

    private static final SecureRandom RANDOM = new SecureRandom();

    private AgentTokens() {
    }

    /** The VM's token, made now if it has none. */
    static String ensure(Path vmDir) {
        Path f = StatePaths.VmFile.AGENT_TOKEN.in(vmDir);
        try {
            if (Files.exists(f)) {
                return read(vmDir);
            }
            byte[] raw = new byte[32];
            RANDOM.nextBytes(raw);
            String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
            AtomicFiles.write(f, token + "\n");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
            return token;
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot keep the VM's agent token in " + f + ": " + e.getMessage(), e);
        }
    }

    public static String read(Path vmDir) throws IOException {
        return Files.readString(StatePaths.VmFile.AGENT_TOKEN.in(vmDir)).strip();
    }
}
