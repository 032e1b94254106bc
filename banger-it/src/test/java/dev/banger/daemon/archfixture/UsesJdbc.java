package dev.banger.daemon.archfixture;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** Arch fixture: daemon code that talks JDBC itself instead of going through the store. Violates rule (d). */
public final class UsesJdbc {
    private UsesJdbc() {
    }

    public static boolean ping(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url)) {
            return c.isValid(1);
        }
    }
}
