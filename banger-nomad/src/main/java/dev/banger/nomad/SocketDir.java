package dev.banger.nomad;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * The plugin's gRPC socket, alone in a fresh directory only its user can enter (0700), so no other local user can
 * connect to it or put something in its place. The directory is made where go-plugin's servers make their sockets:
 * {@code PLUGIN_UNIX_SOCKET_DIR} when the host sets it, else {@code TMPDIR}, else /tmp.
 */
record SocketDir(Path dir, Path socket) {
    static final String DIR_ENV = "PLUGIN_UNIX_SOCKET_DIR";
    /** sun_path holds 108 bytes with the terminating NUL. */
    private static final int MAX_SOCKET_PATH_BYTES = 107;

    static Path parent(Map<String, String> env) {
        for (String key : new String[] {DIR_ENV, "TMPDIR"}) {
            String v = env.get(key);
            if (v != null && !v.isBlank()) {
                return Path.of(v);
            }
        }
        return Path.of("/tmp");
    }

    static SocketDir create(Path parent) throws IOException {
        Path dir = Files.createTempDirectory(parent, "banger-nomad-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path socket = dir.resolve("plugin.sock");
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
            Files.delete(dir);
            throw new IOException("the plugin socket path " + socket + " is longer than a Unix socket path may be ("
                    + MAX_SOCKET_PATH_BYTES + " bytes): set " + DIR_ENV + " or TMPDIR to a shorter directory");
        }
        return new SocketDir(dir, socket);
    }

    /** Removes the socket and the directory; safe to call twice and from a shutdown hook. */
    void delete() {
        try {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        } catch (NoSuchFileException e) {
            // already gone
        } catch (IOException e) {
            PluginLog.warn("could not remove the plugin socket directory " + dir + ": " + e.getMessage());
        }
    }
}
