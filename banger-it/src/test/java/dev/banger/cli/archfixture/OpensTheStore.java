package dev.banger.cli.archfixture;

import dev.banger.store.Database;
import java.nio.file.Path;

/** Arch fixture: CLI code that opens the daemon's database itself. Violates rule (c). */
public final class OpensTheStore {
    private OpensTheStore() {
    }

    public static int schema(Path db) {
        try (Database d = Database.open(db)) {
            return d.schemaVersion();
        }
    }
}
