package dev.banger.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;

/**
 * The daemon's SQLite database: one file, WAL journal, migrated on open. One connection, used under a
 * lock: banger's write rate is tiny and SQLite serialises writers anyway, so a pool would add nothing.
 */
public final class Database implements AutoCloseable {
    private final Path file;
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();

    private Database(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /** Opens (creating if needed) and migrates the database at {@code file}; the directory must exist. */
    public static Database open(Path file) {
        return open(file, Migrations.LATEST);
    }

    static Database open(Path file, int targetVersion) {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(5_000);
        config.enforceForeignKeys(true);
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA trusted_schema = OFF");
                Migrations.migrate(c, targetVersion);
            } catch (SQLException | RuntimeException e) {
                c.close(); // a refused database must not stay open
                throw e;
            }
            return new Database(file, c);
        } catch (SQLException e) {
            throw new StoreException("cannot open the database " + file + ": " + e.getMessage()
                    + " (check the file's permissions and free disk space)", e);
        }
    }

    public Path file() {
        return file;
    }

    public int schemaVersion() {
        return call(Migrations::currentVersion);
    }

    public VmStore vms() {
        return new VmStore(this);
    }

    /** Runs {@code work} with the connection, exclusively. */
    <T> T call(SqlFunction<T> work) {
        lock.lock();
        try {
            return work.apply(connection);
        } catch (SQLException e) {
            throw new StoreException("database error on " + file.getFileName() + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            connection.close();
        } catch (SQLException e) {
            throw new StoreException("closing " + file + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    @FunctionalInterface
    interface SqlFunction<T> {
        T apply(Connection c) throws SQLException;
    }
}
