package dev.banger.fcstub;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * The stub as the firecracker program: {@code firecracker --api-sock PATH --id ID}. It serves until its
 * guest ends (exit 0 for a guest-initiated exit) or it is signalled (the shutdown hook kills the guest
 * and removes the sockets). Environment: BANGER_FCSTUB_GUEST=none for no guest, qemu (the default) for
 * a QEMU guest.
 */
public final class Main {
    static final String GUEST_ENV = "BANGER_FCSTUB_GUEST";

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        // the contract takes a second or two to build: start now, while the socket is being bound
        ApiContract.preload();
        Started s = start(List.of(args), System.out, System.err, System.getenv());
        if (s.stub() == null) {
            System.exit(s.status());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(s.stub()::close, "fcstub-shutdown-hook"));
        System.exit(s.stub().awaitExit());
    }

    /** A running stub, or the status to exit with at once. */
    record Started(FirecrackerStub stub, int status) {
    }

    /** Everything main does before waiting; separate so tests can run it in-process. */
    static Started start(List<String> args, PrintStream out, PrintStream err, Map<String, String> env) {
        CommandLine cl;
        try {
            cl = CommandLine.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("firecracker: " + e.getMessage());
            err.println(CommandLine.USAGE);
            return new Started(null, 1);
        }
        if (cl.help()) {
            out.println(CommandLine.USAGE);
            return new Started(null, 0);
        }
        if (cl.version()) {
            out.println(versionLine());
            return new Started(null, 0);
        }
        GuestMode mode;
        String guest = env.getOrDefault(GUEST_ENV, "qemu");
        switch (guest) {
            case "none" -> mode = GuestMode.NONE;
            case "qemu", "" -> mode = GuestMode.QEMU;
            default -> {
                err.println("firecracker: " + GUEST_ENV + "=" + guest + " is not understood: use none or qemu");
                return new Started(null, 1);
            }
        }
        try {
            return new Started(FirecrackerStub.start(cl.apiSock(), cl.id(), mode), 0);
        } catch (IOException e) {
            err.println("firecracker: " + e.getMessage());
            return new Started(null, 1);
        }
    }

    static String versionLine() {
        return "Firecracker v" + ApiContract.specVersion() + " (banger strict stub)";
    }
}
