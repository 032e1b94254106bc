package dev.banger.fcstub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigDriveAddressTest {
    @TempDir
    Path dir;

    @Test
    void addressLineAsBangerWritesIt() throws Exception {
        String env = "# written by banger\nBANGER_HOSTNAME='web'\nBANGER_ADDRESS='172.29.0.5/24'\nBANGER_GATEWAY='172.29.0.1'\n";
        assertThat(ConfigDriveAddress.parseAddress(env)).contains(InetAddress.getByName("172.29.0.5"));
        assertThat(ConfigDriveAddress.parseAddress("BANGER_ADDRESS=10.0.0.7\n")).contains(InetAddress.getByName("10.0.0.7"));
        assertThat(ConfigDriveAddress.parseAddress("BANGER_ADDRESS='300.1.1.1/24'\n")).isEmpty();
        assertThat(ConfigDriveAddress.parseAddress("BANGER_ADDRESS='web.vm'\n")).isEmpty();
        assertThat(ConfigDriveAddress.parseAddress("BANGER_GATEWAY='172.29.0.1'\n")).isEmpty();
    }

    @Test
    void bootSectorLabel() {
        byte[] fat16 = new byte[512];
        fat16[510] = 0x55;
        fat16[511] = (byte) 0xaa;
        put(fat16, 0x2B, "CIDATA     ");
        put(fat16, 0x36, "FAT12   ");
        assertThat(ConfigDriveAddress.isCidataVfat(fat16)).isTrue();
        byte[] other = fat16.clone();
        put(other, 0x2B, "BANGER     ");
        assertThat(ConfigDriveAddress.isCidataVfat(other)).isFalse();
        byte[] noSignature = fat16.clone();
        noSignature[510] = 0;
        assertThat(ConfigDriveAddress.isCidataVfat(noSignature)).isFalse();
        byte[] fat32 = new byte[512];
        fat32[510] = 0x55;
        fat32[511] = (byte) 0xaa;
        put(fat32, 0x47, "CIDATA     ");
        put(fat32, 0x52, "FAT32   ");
        assertThat(ConfigDriveAddress.isCidataVfat(fat32)).isTrue();
        assertThat(ConfigDriveAddress.isCidataVfat(new byte[100])).isFalse();
    }

    /** A real config drive, made as banger's ConfigDrive makes it (mkfs.vfat -n CIDATA, then mcopy). */
    @Test
    void readsARealConfigDrive() throws Exception {
        assumeTrue(which("mkfs.vfat") != null && which("mcopy") != null && which("mtype") != null,
                "skipped: mkfs.vfat (dosfstools) and mtools are not installed");
        Path img = dir.resolve("config.img");
        run("mkfs.vfat", "-n", "CIDATA", "-C", img.toString(), "1024");
        Path env = Files.writeString(dir.resolve("banger.env"), "BANGER_HOSTNAME='web'\nBANGER_ADDRESS='172.29.0.9/24'\n",
                StandardCharsets.UTF_8);
        run("mcopy", "-i", img.toString(), env.toString(), "::banger.env");
        Path other = Fixtures.file(dir, "root.img");
        assertThat(ConfigDriveAddress.find(List.of(other, img))).contains(InetAddress.getByName("172.29.0.9"));
        assertThat(ConfigDriveAddress.find(List.of(other))).isEqualTo(Optional.empty());
    }

    private static void put(byte[] b, int at, String s) {
        byte[] t = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, b, at, t.length);
    }

    /** The tool on PATH or in /usr/sbin, /sbin (mkfs.vfat lives there and PATH may lack it), or null. */
    private static Path which(String tool) {
        List<String> dirs = new java.util.ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/sbin", "/sbin"));
        for (String d : dirs) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return Path.of(d, tool);
            }
        }
        return null;
    }

    private static void run(String... argv) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(argv));
        cmd.set(0, which(argv[0]).toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("MTOOLS_SKIP_CHECK", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", argv), out).isZero();
    }
}
