package dev.banger.fcstub;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The guest's address as banger's config drive states it: the drive is a vfat image labelled CIDATA,
 * its file banger.env holds {@code BANGER_ADDRESS='172.29.0.5/24'}. Read with mtools' {@code mtype},
 * so nothing is mounted.
 */
final class ConfigDriveAddress {
    static final String LABEL = "CIDATA";
    static final String ENV_FILE = "banger.env";
    private static final long MTYPE_TIMEOUT_S = 5;
    private static final Pattern ADDRESS = Pattern.compile(
            "(?m)^BANGER_ADDRESS=['\"]?((?:[0-9]{1,3}\\.){3}[0-9]{1,3})(?:/[0-9]{1,2})?['\"]?\\s*$");

    private ConfigDriveAddress() {
    }

    static Optional<InetAddress> find(List<Path> drives) {
        for (Path d : drives) {
            if (isCidataVfat(bootSector(d))) {
                Optional<String> env = mtype(d);
                if (env.isPresent()) {
                    return parseAddress(env.get());
                }
            }
        }
        return Optional.empty();
    }

    /** The IPv4 address of the BANGER_ADDRESS line (the prefix length dropped), if there is a valid one. */
    static Optional<InetAddress> parseAddress(String bangerEnv) {
        Matcher m = ADDRESS.matcher(bangerEnv);
        if (!m.find()) {
            return Optional.empty();
        }
        String[] octets = m.group(1).split("\\.");
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            int v = Integer.parseInt(octets[i]);
            if (v > 255) {
                return Optional.empty();
            }
            bytes[i] = (byte) v;
        }
        try {
            return Optional.of(InetAddress.getByAddress(bytes)); // four bytes: no name lookup
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether a boot sector is a FAT filesystem's labelled CIDATA: the 0x55AA signature, then the volume
     * label of the extended BIOS parameter block, at 0x2B for FAT12/16 (type "FAT1x" at 0x36) or at 0x47
     * for FAT32 (type "FAT32" at 0x52).
     */
    static boolean isCidataVfat(byte[] sector) {
        if (sector.length < 512 || (sector[510] & 0xff) != 0x55 || (sector[511] & 0xff) != 0xaa) {
            return false;
        }
        return (text(sector, 0x36, 5).startsWith("FAT1") && text(sector, 0x2B, 11).strip().equals(LABEL))
                || (text(sector, 0x52, 5).equals("FAT32") && text(sector, 0x47, 11).strip().equals(LABEL));
    }

    private static String text(byte[] b, int offset, int length) {
        return new String(b, offset, length, StandardCharsets.US_ASCII);
    }

    private static byte[] bootSector(Path drive) {
        try (InputStream in = Files.newInputStream(drive)) {
            return in.readNBytes(512);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static Optional<String> mtype(Path image) {
        ProcessBuilder pb = new ProcessBuilder("mtype", "-i", image.toString(), "::" + ENV_FILE)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("MTOOLS_SKIP_CHECK", "1");
        try {
            Process p = pb.start();
            byte[] out = p.getInputStream().readNBytes(64 * 1024);
            if (!p.waitFor(MTYPE_TIMEOUT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            return p.exitValue() == 0 ? Optional.of(new String(out, StandardCharsets.UTF_8)) : Optional.empty();
        } catch (IOException e) {
            System.err.println("fcstub: cannot run mtype on " + image + ": " + e.getMessage());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
