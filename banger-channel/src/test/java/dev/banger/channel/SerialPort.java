package dev.banger.channel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Plays a virtio-serial port for tests: the guest has one endless byte stream; host connections come and
 * go on the other end, and what the guest writes while none is attached is lost, as QEMU drops it.
 */
final class SerialPort {
    private final BytePipe toGuest = new BytePipe(1 << 20);
    private volatile BytePipe toHost;

    final InputStream guestIn = toGuest.in;
    final OutputStream guestOut = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            BytePipe host = toHost;
            if (host == null) {
                return; // no host connected: dropped
            }
            try {
                host.out.write(b, off, len);
            } catch (IOException e) {
                // the host went away mid-write: dropped
            }
        }
    };

    /** A new host connection. Closing its output detaches it. */
    Connections.End attach() {
        BytePipe pipe = new BytePipe(1 << 20);
        toHost = pipe;
        OutputStream out = new OutputStream() {
            private boolean detached;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) throws IOException {
                if (detached) {
                    throw new IOException("detached");
                }
                toGuest.out.write(b, off, len);
            }

            @Override
            public synchronized void close() throws IOException {
                detached = true;
                if (toHost == pipe) {
                    toHost = null;
                }
                pipe.out.close(); // the host's reads see EOF
            }
        };
        return new Connections.End(pipe.in, out, null);
    }
}
