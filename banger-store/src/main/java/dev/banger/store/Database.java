package dev.banger.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.logging.Logger;
import org.sqlite.SQLiteConfig;

/**
 * The daemon's SQLite database: one file, WAL journal, integrity-checked and migrated on open. One
 * connection, used under a lock: banger's write rate is tiny and SQLite serialises writers anyway, so a
 * pool would add nothing.
 *
 * <p>Beside it lies {@code state.db.reserve}, a few MiB of real blocks: when the disk is full, the writes
 * that free space (a VM's delete) give the reserve back to the filesystem and retry, so a full disk never
 * stops a user from deleting what fills it.
 */
public final class Database implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Database.class.getName());
    /** Far more than the few WAL pages a delete writes. */
    static final int RESERVE_BYTES = 4 * 1024 * 1024;

    /** What lies at the database's path before it is opened. */
    public enum FileState {
        /** No file: opening creates a new, empty database. */
        MISSING,
        /** A file of zero bytes (truncated, or made by touch): SQLite would treat it as a new database. */
        EMPTY,
        /** A file with content: an existing database, or something that claims to be one. */
        PRESENT
    }

    private final Path file;
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();

    private Database(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /** Whether {@code file} holds a database yet, without opening (or creating) it. */
    public static FileState inspect(Path file) {
        try {
            if (Files.isSymbolicLink(file)) {
                throw new StoreException(StoreException.Kind.UNREADABLE, file + " is a symbolic link; the state database must be "
                        + "a regular file (banger never follows links in its state directory)", null);
            }
            return Files.size(file) == 0 ? FileState.EMPTY : FileState.PRESENT;
        } catch (NoSuchFileException e) {
            return FileState.MISSING;
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.UNREADABLE, "cannot inspect " + file + ": " + e.getMessage(), e);
        }
    }

    /** Opens (creating if needed), checks and migrates the database at {@code file}; the directory must exist. */
    public static Database open(Path file) {
        return open(file, Migrations.LATEST);
    }

    static Database open(Path file, int targetVersion) {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(5_000);
        config.enforceForeignKeys(true);
        Connection c;
        try {
            c = DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
        } catch (SQLException e) {
            throw failure(file, e);
        }
        try {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA trusted_schema = OFF");
                checkIntegrity(s, file);
                Migrations.migrate(c, targetVersion);
            }
            Database db = new Database(file, c);
            db.ensureReserve();
            return db;
        } catch (SQLException | RuntimeException e) {
            try {
                c.close(); // a refused database must not stay open
            } catch (SQLException ignored) {
                // refusing anyway
            }
            throw e instanceof StoreException s ? s : failure(file, e);
        }
    }

    /** SQLite's quick_check: catches a damaged file at start, not in the middle of someone's delete. */
    private static void checkIntegrity(Statement s, Path file) throws SQLException {
        try (ResultSet rs = s.executeQuery("PRAGMA quick_check")) {
            String first = rs.next() ? rs.getString(1) : "no answer";
            if (!"ok".equals(first)) {
                throw new StoreException(StoreException.Kind.CORRUPT, "the database " + file + " fails SQLite's integrity check: "
                        + first, null);
            }
        }
    }

    private static StoreException failure(Path file, Exception e) {
        StoreException.Kind kind = StoreException.kindOf(e);
        String hint = switch (kind) {
            case CORRUPT -> " (the file is damaged or not a SQLite database)";
            case UNREADABLE -> " (check the file's owner, permissions and the disk)";
            case FULL -> " (the disk is full: free some space)";
            case OTHER -> "";
        };
        return new StoreException(kind, "cannot open the database " + file + ": " + e.getMessage() + hint, e);
    }

    public Path file() {
        return file;
    }

    public int schemaVersion() {
        return call(Migrations::currentVersion);
    }

    /** This database's identity: 32 hex digits made when it was created; every VM directory carries it. */
    public String homeId() {
        return call(c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id FROM home WHERE singleton = 1")) {
                if (!rs.next()) {
                    throw new StoreException(StoreException.Kind.CORRUPT, "the database " + file + " has no home identity", null);
                }
                return rs.getString(1);
            }
        });
    }

    /**
     * Takes on {@code homeId} as this database's identity: a recovery rebuilding a lost database from the VM
     * directories of that home. Only 32 lowercase hex digits are accepted.
     */
    public void adoptHomeId(String homeId) {
        if (homeId == null || !homeId.matches("[0-9a-f]{32}")) {
            throw new IllegalArgumentException("not a home id: " + homeId);
        }
        call(c -> {
            try (var ps = c.prepareStatement("UPDATE home SET id = ? WHERE singleton = 1")) {
                ps.setString(1, homeId);
                return ps.executeUpdate();
            }
        });
    }

    public VmStore vms() {
        return new VmStore(this);
    }

    public SnapshotStore snapshots() {
        return new SnapshotStore(this);
    }

    public PublishStore publishes() {
        return new PublishStore(this);
    }

    public E2bStore e2b() {
        return new E2bStore(this);
    }

    public TaskStore tasks() {
        return new TaskStore(this);
    }

    /**
     * Runs {@code work} in one transaction: all of its writes, or (on any exception) none. The exception that ends the
     * work is the one that propagates: SQLite may already have rolled the transaction back by itself (a full disk), so
     * the rollback and the return to autocommit (which the driver does by a COMMIT) may fail in turn, and their errors
     * must not hide the first (withReserve recognises a full disk by it).
     */
    <T> T transaction(SqlFunction<T> work) {
        return call(c -> {
            c.setAutoCommit(false);
            boolean committed = false;
            try {
                T result = work.apply(c);
                c.commit();
                committed = true;
                return result;
            } finally {
                if (!committed) {
                    try {
                        c.rollback();
                    } catch (SQLException alreadyRolledBack) {
                        // no transaction is active any more: SQLite ended it with the error that propagates
                    }
                }
                try {
                    c.setAutoCommit(true);
                } catch (SQLException e) {
                    if (committed) {
                        throw e;
                    }
                }
            }
        });
    }

    /** Runs {@code work} with the connection, exclusively. */
    <T> T call(SqlFunction<T> work) {
        lock.lock();
        try {
            return work.apply(connection);
        } catch (SQLException e) {
            StoreException.Kind kind = StoreException.kindOf(e);
            throw new StoreException(kind, "database error on " + file.getFileName() + ": " + e.getMessage()
                    + (kind == StoreException.Kind.FULL ? " (the disk is full: free some space, e.g. 'banger vm delete' an unused VM)" : ""), e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code work}; if a write in it fails because the disk is full, gives the reserve back to the
     * filesystem and runs it once more. For work that frees space (deleting a VM): it must be safe to run
     * again. The reserve is made anew when there is room.
     */
    public <T> T withReserve(Supplier<T> work) {
        try {
            return work.get();
        } catch (StoreException e) {
            if (e.kind() != StoreException.Kind.FULL || !releaseReserve()) {
                throw e;
            }
            LOG.warning("the disk is full: released the database's reserve (" + reserve() + ") to finish this operation");
            T result = work.get();
            ensureReserve();
            return result;
        }
    }

    Path reserve() {
        return file.resolveSibling(file.getFileName() + ".reserve");
    }

    private boolean releaseReserve() {
        try {
            return Files.deleteIfExists(reserve());
        } catch (IOException e) {
            LOG.warning("cannot release " + reserve() + ": " + e.getMessage());
            return false;
        }
    }

    /** Makes the reserve if it is missing; where there is no room, says so and goes on without one. */
    void ensureReserve() {
        Path r = reserve();
        try {
            if (Files.isRegularFile(r, LinkOption.NOFOLLOW_LINKS) && Files.size(r) == RESERVE_BYTES) {
                return;
            }
            Files.deleteIfExists(r);
            // Real blocks, written (not a sparse file, which would give nothing back when deleted).
            try (FileChannel ch = FileChannel.open(r, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer block = ByteBuffer.allocate(64 * 1024);
                for (int written = 0; written < RESERVE_BYTES; written += block.capacity()) {
                    block.clear();
                    while (block.hasRemaining()) {
                        ch.write(block);
                    }
                }
                ch.force(true);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(r);
            } catch (IOException ignored) {
                // nothing more to do: there is no room
            }
            LOG.warning("no room for the database's reserve " + r + " (" + e.getMessage() + "): deleting VMs on a full disk "
                    + "needs free space until it is made again");
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
