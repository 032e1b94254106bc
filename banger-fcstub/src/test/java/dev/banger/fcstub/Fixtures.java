package dev.banger.fcstub;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Files a microVM configuration points at. */
final class Fixtures {
    private Fixtures() {
    }

    /** A 64-byte ELF64 header: little endian, executable, machine x86-64. Enough for Firecracker's first checks. */
    static byte[] elf64Header(int machine) {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        b.position(16);
        b.putShort((short) 2);         // e_type ET_EXEC
        b.putShort((short) machine);   // e_machine
        b.putInt(1);                   // e_version
        b.putLong(0x1000000);          // e_entry
        b.putLong(64);                 // e_phoff
        b.putLong(0);                  // e_shoff
        b.putInt(0);                   // e_flags
        b.putShort((short) 64);        // e_ehsize
        b.putShort((short) 56);        // e_phentsize
        b.putShort((short) 0);         // e_phnum
        b.putShort((short) 64);        // e_shentsize
        b.putShort((short) 0);         // e_shnum
        b.putShort((short) 0);         // e_shstrndx
        return b.array();
    }

    static Path vmlinux(Path dir) throws IOException {
        return Files.write(dir.resolve("vmlinux"), elf64Header(62));
    }

    /** What a bzImage starts with: a boot sector, then "HdrS" at 0x202. */
    static Path bzImage(Path dir, String name) throws IOException {
        byte[] b = new byte[1024];
        b[0x1fe] = 0x55;
        b[0x1ff] = (byte) 0xaa;
        b[0x202] = 'H';
        b[0x203] = 'd';
        b[0x204] = 'r';
        b[0x205] = 'S';
        return Files.write(dir.resolve(name), b);
    }

    static Path file(Path dir, String name) throws IOException {
        return Files.write(dir.resolve(name), new byte[4096]);
    }

    /** JSON from single-quoted text, for readable test bodies. */
    static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }
}
