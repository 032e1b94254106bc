package dev.banger.host.vm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for QEMU in tests of {@link QemuProcess}, run as its own JVM under the name
 * {@code qemu-system-fake} (bash's {@code exec -a}), so a process scan sees what it would see of QEMU.
 * Options: {@code -qmp unix:PATH,...} (serve QMP there), {@code -fake-powerdown obey|ignore} (exit after
 * system_powerdown, like a guest that powers off, or not), {@code -fake-qmp none} (keep -qmp in the
 * command line but never listen). JDK classes only.
 */
public final class FakeQemu {
    private static final Pattern EXECUTE = Pattern.compile("\"execute\":\"([^\"]+)\"");
    private static final Pattern ID = Pattern.compile("\"id\":(\\d+)");

    private FakeQemu() {
    }

    public static void main(String[] args) throws Exception {
        String qmp = null;
        boolean obey = true;
        boolean listen = true;
        for (int i = 0; i + 1 < args.length; i++) {
            switch (args[i]) {
                case "-qmp" -> qmp = args[i + 1].substring("unix:".length()).split(",", 2)[0];
                case "-fake-powerdown" -> obey = args[i + 1].equals("obey");
                case "-fake-qmp" -> listen = !args[i + 1].equals("none");
                default -> { }
            }
        }
        System.out.println("fake qemu started");
        System.err.println("fake qemu stderr");
        System.out.flush();
        if (!listen || qmp == null) {
            Thread.sleep(600_000);
            return;
        }
        Path socket = Path.of(qmp);
        Files.deleteIfExists(socket);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            while (true) {
                try (SocketChannel ch = server.accept()) {
                    serve(ch, obey, socket);
                } catch (IOException e) {
                    // client gone; serve the next one
                }
            }
        }
    }

    private static void serve(SocketChannel ch, boolean obey, Path socket) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
        OutputStream out = Channels.newOutputStream(ch);
        send(out, FakeQmpServer.GREETING);
        String line;
        while ((line = in.readLine()) != null) {
            Matcher e = EXECUTE.matcher(line);
            Matcher i = ID.matcher(line);
            String cmd = e.find() ? e.group(1) : "?";
            String id = i.find() ? i.group(1) : "0";
            switch (cmd) {
                case "qmp_capabilities", "system_powerdown", "quit" -> send(out, "{\"return\": {}, \"id\": " + id + "}");
                case "query-status" -> send(out, "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": " + id + "}");
                default -> send(out, "{\"id\": " + id + ", \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no " + cmd + "\"}}");
            }
            if (cmd.equals("quit") || (cmd.equals("system_powerdown") && obey)) {
                if (cmd.equals("system_powerdown")) {
                    send(out, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 0}, \"event\": \"POWERDOWN\"}");
                    sleep(300); // the guest shutting down
                }
                Files.deleteIfExists(socket);
                System.out.println("fake qemu: exiting after " + cmd);
                System.exit(0);
            }
        }
    }

    private static void send(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
