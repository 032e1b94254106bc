package dev.banger.channel.copy;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a copy lands, decided as {@code cp -r}, {@code scp -r} and {@code docker cp} do: a destination that is
 * an existing directory receives the copy inside it under the source's own name; any other destination
 * becomes the copy (a file replaced, a new directory made) provided its parent directory exists; a
 * destination written with a trailing '/' must be an existing directory.
 *
 * @param directory the existing directory the copy's top entry is made in (its real path: the user's own
 *                  links on the way to it are followed once, here; nothing below it is ever followed)
 * @param rootName  the name the top entry gets there, or null for the archive's own top name
 */
public record CopyTarget(Path directory, String rootName) {

    /** {@code destination} (absolute) resolved now; a refusal names what is missing or in the way. */
    public static CopyTarget resolve(String destination) throws CopyRefusal {
        Path p = Path.of(destination);
        if (!p.isAbsolute()) {
            throw new CopyRefusal("the destination " + destination + " is not an absolute path");
        }
        boolean mustBeDirectory = destination.length() > 1 && destination.endsWith("/");
        try {
            if (Files.isDirectory(p)) {
                return new CopyTarget(p.toRealPath(), null);
            }
            if (mustBeDirectory) {
                throw new CopyRefusal(Files.exists(p) || Files.isSymbolicLink(p) ? destination + " is not a directory"
                        : "no such directory: " + destination + " (create it first, or leave out the trailing '/' to name the copy)");
            }
            Path parent = p.getParent();
            String name = p.getFileName().toString();
            if (name.equals(".") || name.equals("..")) {
                throw new CopyRefusal("no such directory: " + destination);
            }
            if (!Files.isDirectory(parent)) {
                throw new CopyRefusal(Files.exists(parent) ? parent + " is not a directory"
                        : "no such directory: " + parent + " (create it first)");
            }
            return new CopyTarget(parent.toRealPath(), name);
        } catch (AccessDeniedException e) {
            throw new CopyRefusal("permission denied: " + e.getFile());
        } catch (CopyRefusal e) {
            throw e;
        } catch (IOException e) {
            throw new CopyRefusal("cannot use " + destination + " as the destination: " + e.getMessage());
        }
    }

    /** Where an archive whose top name is {@code top} puts its top entry. */
    public Path root(String top) {
        return directory.resolve(rootName != null ? rootName : top);
    }
}
