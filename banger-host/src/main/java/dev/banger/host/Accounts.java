package dev.banger.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Numeric ids of user and group names, as the kernel's peer credentials name them to the JDK
 * ({@code SO_PEERCRED} gives the daemon names, and the daemon needs numbers to act as its caller).
 * Reads /etc/passwd and /etc/group first (no process, so a connection costs nothing), then asks
 * {@code getent} for accounts from other NSS sources. Answers are kept for a minute.
 */
public final class Accounts {
    private static final Duration KEEP = Duration.ofMinutes(1);
    private static final Map<String, Entry> USERS = new ConcurrentHashMap<>();
    private static final Map<String, Entry> GROUPS = new ConcurrentHashMap<>();

    private record Entry(int id, long at) {
    }

    private Accounts() {
    }

    /** The uid of user {@code name} (a purely numeric name is taken as the uid itself). */
    public static OptionalInt uid(String name) {
        return lookup(name, USERS, Path.of("/etc/passwd"), "passwd");
    }

    /** The gid of group {@code name} (a purely numeric name is taken as the gid itself). */
    public static OptionalInt gid(String name) {
        return lookup(name, GROUPS, Path.of("/etc/group"), "group");
    }

    private static OptionalInt lookup(String name, Map<String, Entry> cache, Path file, String database) {
        if (name == null || name.isEmpty()) {
            return OptionalInt.empty();
        }
        if (name.chars().allMatch(Character::isDigit) && name.length() < 10) {
            return OptionalInt.of(Integer.parseInt(name));
        }
        Entry cached = cache.get(name);
        long now = System.nanoTime();
        if (cached != null && now - cached.at() < KEEP.toNanos()) {
            return OptionalInt.of(cached.id());
        }
        OptionalInt found = fromFile(name, file);
        if (found.isEmpty()) {
            found = fromGetent(name, database);
        }
        found.ifPresent(id -> cache.put(name, new Entry(id, now)));
        return found;
    }

    private static OptionalInt fromFile(String name, Path file) {
        try {
            for (String line : Files.readAllLines(file)) {
                OptionalInt id = idField(line, name);
                if (id.isPresent()) {
                    return id;
                }
            }
        } catch (IOException e) {
            // no such file (a minimal container): getent may still know
        }
        return OptionalInt.empty();
    }

    private static OptionalInt fromGetent(String name, String database) {
        if (name.startsWith("-")) {
            return OptionalInt.empty();
        }
        HostCommand.Output out = HostCommand.run(List.of("getent", database, name), Duration.ofSeconds(5));
        return out.ok() ? idField(out.text().strip(), name) : OptionalInt.empty();
    }

    /** The third field of a passwd or group line whose first field is {@code name}. */
    static OptionalInt idField(String line, String name) {
        String[] f = line.split(":", -1);
        if (f.length < 3 || !f[0].equals(name)) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(f[2]));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }
}
