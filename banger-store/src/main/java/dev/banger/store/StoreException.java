package dev.banger.store;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.sql.SQLException;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * A database failure. Its {@link Kind} says what the daemon can do about it: a corrupt or unreadable file
 * is refused with the fix (never replaced by a fresh one), a full disk is a resource the user can free.
 */
public class StoreException extends BangerException {
    /** What went wrong, as far as it changes what the daemon and the user should do. */
    public enum Kind {
        /** The file is not a SQLite database, or its pages fail SQLite's integrity check. */
        CORRUPT,
        /** The file cannot be opened or read (permissions, I/O error, read-only filesystem). */
        UNREADABLE,
        /** The disk (or quota) is full: a write failed for lack of space. */
        FULL,
        /** Anything else: a bug or an unexpected state. */
        OTHER
    }

    private final Kind kind;

    public StoreException(String message) {
        this(Kind.OTHER, message, null);
    }

    public StoreException(String message, Throwable cause) {
        this(kindOf(cause), message, cause);
    }

    public StoreException(Kind kind, String message, Throwable cause) {
        super(kind == Kind.FULL ? ErrorCode.RESOURCE_EXHAUSTED : ErrorCode.INTERNAL, message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** The kind of a JDBC failure, from SQLite's primary result code. */
    static Kind kindOf(Throwable t) {
        if (t instanceof StoreException s) {
            return s.kind;
        }
        if (!(t instanceof SQLException)) {
            return Kind.OTHER;
        }
        SQLiteErrorCode code = t instanceof SQLiteException e ? e.getResultCode() : SQLiteErrorCode.getErrorCode(((SQLException) t).getErrorCode());
        // Extended codes (SQLITE_IOERR_WRITE, SQLITE_CORRUPT_VTAB...) share their primary code's low byte.
        int primary = code.code & 0xff;
        if (primary == SQLiteErrorCode.SQLITE_CORRUPT.code || primary == SQLiteErrorCode.SQLITE_NOTADB.code) {
            return Kind.CORRUPT;
        }
        if (primary == SQLiteErrorCode.SQLITE_FULL.code) {
            return Kind.FULL;
        }
        if (primary == SQLiteErrorCode.SQLITE_CANTOPEN.code || primary == SQLiteErrorCode.SQLITE_PERM.code
                || primary == SQLiteErrorCode.SQLITE_READONLY.code || primary == SQLiteErrorCode.SQLITE_IOERR.code
                || primary == SQLiteErrorCode.SQLITE_AUTH.code) {
            return Kind.UNREADABLE;
        }
        return Kind.OTHER;
    }
}
