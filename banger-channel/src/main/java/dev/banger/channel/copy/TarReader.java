package dev.banger.channel.copy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Reads a copy's archive ({@link TarWriter}'s format) from a peer that is not trusted: every header's checksum
 * and magic are checked, extended headers are bounded ({@value TarFormat#MAX_PAX_BYTES} bytes), names and link
 * targets too ({@value TarFormat#MAX_NAME_BYTES} bytes, strict UTF-8, no NUL); only regular files, directories
 * and symbolic links are accepted (a hard link, a device, a FIFO or anything else is a {@link CopyRefusal}).
 * A file's size is only the bound of what is read for it. Its {@link #content()} is hashed as it is read and,
 * once read to its end, checked against the CRC-32C in its trailer: a stream that returned -1 delivered exactly
 * what the sender read. The peer's own reason to stop is a {@link PeerFailure}; an archive cut short (the
 * connection lost) a {@link CopyRefusal} saying so. Memory: one block, one extended header, nothing else.
 *
 * <p>Not thread-safe: one reader at a time.
 */
public final class TarReader {
    private final InputStream in;
    private final byte[] block = new byte[TarFormat.BLOCK];
    private final CRC32C crc = new CRC32C();
    private final Content content = new Content();
    private TarEntry current;
    private long remaining;
    private boolean verified = true;
    private boolean ended;
    private long entries;

    public TarReader(InputStream in) {
        this.in = in;
    }

    /** The next entry, or null at the end of the archive. A file not read to its end is read and checked first. */
    public TarEntry next() throws IOException {
        if (ended) {
            return null;
        }
        finishCurrent();
        current = null;
        Map<String, String> pax = null;
        while (true) {
            if (!readBlock()) {
                throw truncated("before its end");
            }
            if (TarFormat.isZero(block)) {
                if (!readBlock()) {
                    throw truncated("inside its end marker");
                }
                if (!TarFormat.isZero(block)) {
                    throw malformed("a lone zero block amid the entries");
                }
                if (pax != null) {
                    throw malformed("an extended header with no entry after it");
                }
                ended = true;
                return null;
            }
            String wrong = TarFormat.check(block);
            if (wrong != null) {
                throw malformed(wrong);
            }
            byte type = TarFormat.type(block);
            switch (type) {
                case TarFormat.PAX_ENTRY -> {
                    if (pax != null) {
                        throw malformed("two extended headers in a row");
                    }
                    pax = readPax();
                }
                case TarFormat.PAX_GLOBAL -> {
                    if (pax != null) {
                        throw malformed("an extended header followed by a global one");
                    }
                    Map<String, String> g = readPax();
                    if (g.containsKey(TarFormat.ERROR)) {
                        throw new PeerFailure(g.get(TarFormat.ERROR));
                    }
                    if (g.containsKey(TarFormat.CRC32C)) {
                        throw malformed("a checksum with no file before it");
                    }
                    // another archiver's global defaults: nothing banger uses
                }
                case TarFormat.REGULAR, TarFormat.REGULAR_OLD -> {
                    return begin(TarEntry.Kind.FILE, pax);
                }
                case TarFormat.DIRECTORY -> {
                    return begin(TarEntry.Kind.DIRECTORY, pax);
                }
                case TarFormat.SYMLINK -> {
                    return begin(TarEntry.Kind.SYMLINK, pax);
                }
                default -> throw new CopyRefusal("refused entry " + (entries + 1) + " of the archive, " + describeName(pax) + ": "
                        + kindOf(type) + " (only regular files, directories and symbolic links are copied)");
            }
        }
    }

    /**
     * The current file's data, to be read to its end (-1), which checks it against its trailer: a mismatch is
     * a {@link CopyRefusal}, the sender's reason to stop a {@link PeerFailure}.
     */
    public InputStream content() {
        if (current == null || current.kind() != TarEntry.Kind.FILE) {
            throw new IllegalStateException("no file is being read");
        }
        return content;
    }

    /** Entries read so far. */
    public long entries() {
        return entries;
    }

    private TarEntry begin(TarEntry.Kind kind, Map<String, String> pax) throws IOException {
        entries++;
        String name;
        String link = null;
        long size;
        int mode;
        FileTime mtime;
        try {
            name = text(pax != null && pax.containsKey(TarFormat.PATH) ? pax.get(TarFormat.PATH) : TarFormat.utf8(TarFormat.name(block)), "name");
            if (kind == TarEntry.Kind.DIRECTORY && name.length() > 1 && name.endsWith("/")) {
                name = name.substring(0, name.length() - 1);
            }
            if (kind == TarEntry.Kind.SYMLINK) {
                link = text(pax != null && pax.containsKey(TarFormat.LINKPATH) ? pax.get(TarFormat.LINKPATH)
                        : TarFormat.utf8(TarFormat.linkName(block)), "link target");
            }
            size = pax != null && pax.containsKey(TarFormat.SIZE) ? Long.parseLong(pax.get(TarFormat.SIZE)) : TarFormat.size(block);
            mode = TarFormat.mode(block);
            mtime = pax != null && pax.containsKey(TarFormat.MTIME) ? TarFormat.parsePaxTime(pax.get(TarFormat.MTIME))
                    : FileTime.fromMillis(TarFormat.mtime(block) * 1000);
        } catch (IllegalArgumentException e) { // NumberFormatException included
            throw malformed("entry " + entries + ": " + e.getMessage());
        }
        if (size < 0 || (kind != TarEntry.Kind.FILE && size != 0)) {
            throw malformed(PeerFailure.shown(name) + ": a " + kind.name().toLowerCase(java.util.Locale.ROOT) + " of " + size + " bytes");
        }
        current = new TarEntry(kind, name, size, mode, mtime, link);
        if (kind == TarEntry.Kind.FILE) {
            remaining = size;
            verified = false;
            crc.reset();
        }
        return current;
    }

    private static String text(String s, String what) {
        if (s.isEmpty()) {
            throw new IllegalArgumentException("an empty " + what);
        }
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a " + what + " holding a NUL byte");
        }
        if (s.length() > TarFormat.MAX_NAME_BYTES || s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > TarFormat.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("a " + what + " longer than " + TarFormat.MAX_NAME_BYTES + " bytes");
        }
        return s;
    }

    private Map<String, String> readPax() throws IOException {
        long size;
        try {
            size = TarFormat.size(block);
        } catch (NumberFormatException e) {
            throw malformed("an extended header whose size is not a number");
        }
        if (size > TarFormat.MAX_PAX_BYTES) {
            throw malformed("an extended header of " + size + " bytes (at most " + TarFormat.MAX_PAX_BYTES + ")");
        }
        byte[] data = new byte[(int) size];
        if (in.readNBytes(data, 0, data.length) < data.length) {
            throw truncated("inside an extended header");
        }
        skipPadding(size);
        try {
            return TarFormat.parsePax(data, data.length);
        } catch (IllegalArgumentException e) {
            throw malformed(e.getMessage());
        }
    }

    /** Drains the current file's unread data through its hash and checks its trailer. */
    private void finishCurrent() throws IOException {
        if (current == null || verified) {
            return;
        }
        byte[] sink = new byte[8192];
        while (content.read(sink, 0, sink.length) >= 0) {
            // hashed by the read
        }
    }

    private void verify() throws IOException {
        if (verified) {
            return;
        }
        skipPadding(current.size());
        if (!readBlock()) {
            throw truncated("after the data of " + PeerFailure.shown(current.name()));
        }
        String wrong = TarFormat.isZero(block) ? "" : TarFormat.check(block);
        if (wrong != null && !wrong.isEmpty()) {
            throw malformed(wrong);
        }
        if (wrong != null || TarFormat.type(block) != TarFormat.PAX_GLOBAL) {
            throw malformed("no checksum after the data of " + PeerFailure.shown(current.name()));
        }
        Map<String, String> trailer = readPax();
        if (trailer.containsKey(TarFormat.ERROR)) {
            throw new PeerFailure(trailer.get(TarFormat.ERROR));
        }
        String expected = trailer.get(TarFormat.CRC32C);
        if (expected == null) {
            throw malformed("no checksum after the data of " + PeerFailure.shown(current.name()));
        }
        String actual = TarFormat.hex(crc);
        if (!actual.equalsIgnoreCase(expected)) {
            throw new CopyRefusal(PeerFailure.shown(current.name()) + " arrived damaged: its CRC-32C is " + actual + ", the sender's "
                    + PeerFailure.printable(expected.length() > 16 ? expected.substring(0, 16) : expected) + "; the copy was stopped");
        }
        verified = true;
    }

    private void skipPadding(long size) throws IOException {
        int rest = (int) (size % TarFormat.BLOCK);
        if (rest != 0 && in.readNBytes(block, 0, TarFormat.BLOCK - rest) < TarFormat.BLOCK - rest) {
            throw truncated("inside a block's padding");
        }
    }

    private boolean readBlock() throws IOException {
        int n = in.readNBytes(block, 0, TarFormat.BLOCK);
        if (n == 0) {
            return false;
        }
        if (n < TarFormat.BLOCK) {
            throw truncated("inside a header");
        }
        return true;
    }

    private String describeName(Map<String, String> pax) {
        if (pax != null && pax.containsKey(TarFormat.PATH)) {
            return PeerFailure.shown(pax.get(TarFormat.PATH));
        }
        return PeerFailure.shown(new String(TarFormat.name(block), java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String kindOf(byte type) {
        return switch (type) {
            case '1' -> "a hard link";
            case '3' -> "a character device";
            case '4' -> "a block device";
            case '6' -> "a FIFO";
            case '7' -> "a contiguous file";
            case 'L', 'K' -> "a GNU long name";
            default -> "an entry of type " + (type >= 0x20 && type < 0x7f ? "'" + (char) type + "'" : "0x" + Integer.toHexString(type & 0xFF));
        };
    }

    private static CopyRefusal malformed(String what) {
        return new CopyRefusal("malformed archive: " + what);
    }

    private CopyRefusal truncated(String where) {
        return new CopyRefusal("the archive ended early, " + where + " (after " + entries + " entries): the sender or the connection went away");
    }

    /** The current file's bytes, hashed as read; its end checks the trailer. */
    private final class Content extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (remaining == 0) {
                verify();
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) {
                throw truncated("inside the data of " + PeerFailure.shown(current.name()));
            }
            crc.update(b, off, n);
            remaining -= n;
            return n;
        }
    }
}
