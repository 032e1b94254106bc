package dev.banger.daemon.rpc;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.logging.Logger;

/**
 * Binds the RPC socket so that no client ever sees it with the wrong mode: bind at a staging name, set
 * mode 0660 and the socket group, then rename onto the real name (rename is atomic).
 */
public final class SocketBinder {
    private static final Logger LOG = Logger.getLogger(SocketBinder.class.getName());

    private SocketBinder() {
    }

    public static ServerSocketChannel bind(Path socket, Path staging, String groupName) {
        clearStale(socket);
        try {
            Files.deleteIfExists(staging);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(staging), 512);
            Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rw-rw----"));
            applyGroup(staging, groupName);
            Files.move(staging, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return server;
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot listen on " + socket + ": " + e.getMessage(), e);
        }
    }

    /** A socket file nobody answers on is left from a daemon that died; one that answers is not ours to take. */
    private static void clearStale(Path socket) {
        if (!Files.exists(socket)) {
            return;
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "the socket path " + socket
                    + " is held by another process that accepts connections; stop that process or set BANGER_HOME to another directory");
        } catch (IOException refused) {
            try {
                Files.delete(socket);
                LOG.info("removed stale socket " + socket + " left by a daemon that died");
            } catch (IOException e) {
                throw new BangerException(ErrorCode.HOST_FAILURE, "cannot remove stale socket " + socket + ": " + e.getMessage(), e);
            }
        }
    }

    private static void applyGroup(Path path, String groupName) throws IOException {
        try {
            GroupPrincipal group = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(groupName);
            Files.getFileAttributeView(path, PosixFileAttributeView.class).setGroup(group);
        } catch (UserPrincipalNotFoundException e) {
            LOG.fine(() -> "no group '" + groupName + "': the socket stays root-only (0660 root:root)");
        }
    }
}
