package dev.banger.daemon;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One daemon per state directory: an exclusive lock on {@code run/bangerd.lock}, held for the daemon's
 * life and released by the kernel when it dies, however it dies. The file holds the holder's PID so
 * the error for a second daemon can name the first.
 */
final class DaemonLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private DaemonLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DaemonLock acquire(Path file, long pid) {
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l = ch.tryLock();
            if (l == null) {
                String holder = Files.readString(file).strip();
                ch.close();
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, "another bangerd"
                        + (holder.isEmpty() ? "" : " (pid " + holder + ")") + " already serves this state directory (lock "
                        + file + "); stop it with 'banger daemon stop' or use another BANGER_HOME");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((pid + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ch.force(true);
            return new DaemonLock(ch, l);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot lock " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        lock.release();
        channel.close();
    }
}
