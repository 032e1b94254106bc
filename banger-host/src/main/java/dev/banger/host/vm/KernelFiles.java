package dev.banger.host.vm;

import dev.banger.core.image.KernelFormats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/** Reads the parts of a kernel file that {@link KernelFormats} judges. */
public final class KernelFiles {
    /** A note segment larger than this is not a kernel's (Debian's vmlinux has under 1 KiB of notes). */
    private static final int MAX_NOTES = 64 * 1024;

    private KernelFiles() {
    }

    /** Whether {@code kernel} is an ELF vmlinux with a PVH entry note; false for anything unreadable or else. */
    public static boolean hasPvhEntry(Path kernel) {
        try (FileChannel file = FileChannel.open(kernel, StandardOpenOption.READ)) {
            byte[] head = read(file, 0, KernelFormats.HEAD_BYTES);
            for (KernelFormats.Segment notes : KernelFormats.noteSegments(head)) {
                if (notes.size() <= MAX_NOTES && notes.offset() + notes.size() <= file.size()
                        && KernelFormats.hasPvhEntry(read(file, notes.offset(), (int) notes.size()))) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private static byte[] read(FileChannel file, long offset, int max) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(max);
        while (buf.hasRemaining() && file.read(buf, offset + buf.position()) > 0) {
            // until full or at the end of the file
        }
        return Arrays.copyOf(buf.array(), buf.position());
    }
}
