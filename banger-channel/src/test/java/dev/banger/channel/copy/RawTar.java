package dev.banger.channel.copy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;

/** Archives written entry by entry with no checks at all: what a hostile or broken peer could send. */
final class RawTar {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final byte[] block = new byte[TarFormat.BLOCK];

    RawTar header(byte type, String name, int mode, long size, String link) {
        TarFormat.header(block, type, name.getBytes(StandardCharsets.UTF_8), mode, size, 1_700_000_000L,
                link == null ? null : link.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(block);
        return this;
    }

    RawTar dir(String name) {
        return header(TarFormat.DIRECTORY, name, 0755, 0, null);
    }

    RawTar symlink(String name, String target) {
        return header(TarFormat.SYMLINK, name, 0777, 0, target);
    }

    /** A regular file with its data and a correct trailer. */
    RawTar file(String name, byte[] data) {
        return file(name, data, crc32c(data));
    }

    /** A regular file with its data and the trailer given. */
    RawTar file(String name, byte[] data, String crc32c) {
        header(TarFormat.REGULAR, name, 0644, data.length, null);
        data(data);
        return pax(TarFormat.PAX_GLOBAL, Map.of(TarFormat.CRC32C, crc32c));
    }

    RawTar pax(byte type, Map<String, String> records) {
        byte[] data = TarFormat.paxRecords(records);
        header(type, "PaxHeader", 0644, data.length, null);
        return data(data);
    }

    /** Bytes padded to a block. */
    RawTar data(byte[] data) {
        out.writeBytes(data);
        int rest = data.length % TarFormat.BLOCK;
        if (rest != 0) {
            out.writeBytes(new byte[TarFormat.BLOCK - rest]);
        }
        return this;
    }

    RawTar end() {
        out.writeBytes(new byte[2 * TarFormat.BLOCK]);
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    static String crc32c(byte[] data) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(data);
        return TarFormat.hex(crc);
    }

    /** A file's SHA-256, for comparing trees. */
    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
