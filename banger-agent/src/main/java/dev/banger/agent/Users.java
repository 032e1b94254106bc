package dev.banger.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The guest's accounts, from /etc/passwd (no NSS beyond files in a banger image). */
final class Users {
    record Account(String name, int uid, int gid, String home) {
    }

    private final Path passwd;

    Users(Path passwd) {
        this.passwd = passwd;
    }

    /** {@code user} by name, or by number when it is all digits. */
    Optional<Account> find(String user) {
        try {
            for (String line : Files.readAllLines(passwd)) {
                String[] f = line.split(":", -1);
                if (f.length >= 6 && (f[0].equals(user) || f[2].equals(user))) {
                    return Optional.of(new Account(f[0], Integer.parseInt(f[2]), Integer.parseInt(f[3]), f[5]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
