package dev.banger.fcstub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The checks Firecracker makes against the host when it is configured: the files it opens must be
 * there, the kernel must be an x86-64 ELF, the tap must exist. Messages say what is wrong and with what.
 */
final class HostChecks {
    /** Where the kernel publishes network interfaces. */
    static final Path SYS_CLASS_NET = Path.of("/sys/class/net");
    /** A Linux interface name: at most IFNAMSIZ-1 bytes, no '/' (it becomes a path under /sys/class/net). */
    private static final Pattern INTERFACE_NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,15}");
    private static final int EM_X86_64 = 62;

    private HostChecks() {
    }

    /** A file Firecracker opens: it must exist and not be a directory (a block device or a pipe will do). */
    static Path existingFile(String what, String path) throws Fault {
        Path p = Path.of(path);
        if (!Files.exists(p)) {
            throw new Fault(what + " " + path + " does not exist (No such file or directory)");
        }
        if (Files.isDirectory(p)) {
            throw new Fault(what + " " + path + " is a directory, not a file");
        }
        return p;
    }

    /**
     * Firecracker on x86-64 loads an uncompressed ELF vmlinux: 7f 'E' 'L' 'F', 64-bit class, little
     * endian, machine x86-64. A bzImage (its setup header says "HdrS" at 0x202) is refused.
     */
    static void elf64X86(Path kernel) throws Fault {
        byte[] head = new byte[0x206];
        int n;
        try (InputStream in = Files.newInputStream(kernel)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new Fault("cannot read the kernel image " + kernel + ": " + e.getMessage());
        }
        boolean magic = n >= 20 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';
        if (!magic) {
            boolean bzImage = n >= 0x206 && head[0x202] == 'H' && head[0x203] == 'd' && head[0x204] == 'r' && head[0x205] == 'S';
            throw new Fault("Cannot load kernel due to invalid memory configuration or invalid kernel image: " + kernel
                    + " is not an ELF file" + (bzImage ? " (it is a bzImage; Firecracker on x86_64 boots the uncompressed ELF vmlinux)" : ""));
        }
        if (head[4] != 2) {
            throw new Fault("Cannot load kernel: " + kernel + " is not a 64-bit ELF (EI_CLASS " + head[4] + ")");
        }
        if (head[5] != 1) {
            throw new Fault("Cannot load kernel: " + kernel + " is not a little-endian ELF (EI_DATA " + head[5] + ")");
        }
        int machine = (head[18] & 0xff) | (head[19] & 0xff) << 8;
        if (machine != EM_X86_64) {
            throw new Fault("Cannot load kernel: " + kernel + " is an ELF for machine " + machine + ", not x86-64 (" + EM_X86_64 + ")");
        }
    }

    /** The tap Firecracker attaches to: a valid name of an interface that exists now. */
    static void existingInterface(String name) throws Fault {
        if (!INTERFACE_NAME.matcher(name).matches()) {
            throw new Fault("Could not create the network device: invalid host_dev_name '" + name
                    + "' (1 to 15 of A-Z a-z 0-9 _ . : -)");
        }
        if (!Files.exists(SYS_CLASS_NET.resolve(name))) {
            throw new Fault("Could not create the network device: host interface '" + name + "' does not exist ("
                    + SYS_CLASS_NET.resolve(name) + " is absent; create the tap first)");
        }
    }

    /** The vsock's Unix socket: its directory must exist, the socket itself must not (Firecracker binds it). */
    static Path freeSocketPath(String path) throws Fault {
        Path p = Path.of(path).toAbsolutePath();
        Path parent = p.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new Fault("Cannot create backend for vsock device: the directory of uds_path " + path + " does not exist");
        }
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new Fault("Cannot create backend for vsock device: Error binding to the host-side Unix socket " + path
                    + ": Address in use (the path already exists)");
        }
        return p;
    }
}
