package dev.banger.fcstub;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The arguments of the firecracker binary that the stub takes: {@code --api-sock PATH}, {@code --id ID}
 * (either order, each at most once), {@code --version}, {@code --help}. Any other flag is refused, so a
 * driver passing one it should not is caught.
 *
 * @param apiSock Firecracker's default /run/firecracker.socket when not given
 * @param id      null when not given ({@link FirecrackerStub#DEFAULT_ID})
 */
record CommandLine(Path apiSock, String id, boolean version, boolean help) {
    static final Path DEFAULT_API_SOCK = Path.of("/run/firecracker.socket");
    /** Firecracker's instance id rule (utils::validators::validate_instance_id). */
    private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

    static final String USAGE = """
            usage: firecracker [--api-sock PATH] [--id ID] | --version | --help
              --api-sock PATH   the Unix socket of the API (default /run/firecracker.socket); must not exist
              --id ID           the instance id: 1 to 64 of A-Z a-z 0-9 - (default anonymous-instance)
              --version         print the version and exit
            This is banger's strict Firecracker stub: the API is checked against Firecracker's contract and
            the guest runs under QEMU (BANGER_FCSTUB_GUEST=none: no guest).""";

    /** Parses argv; an IllegalArgumentException says what is wrong with it. */
    static CommandLine parse(List<String> args) {
        Path sock = null;
        String id = null;
        boolean version = false;
        boolean help = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--api-sock" -> {
                    if (sock != null) {
                        throw new IllegalArgumentException("--api-sock is given twice");
                    }
                    String v = value(args, i++, a);
                    sock = Path.of(v);
                }
                case "--id" -> {
                    if (id != null) {
                        throw new IllegalArgumentException("--id is given twice");
                    }
                    id = value(args, i++, a);
                    if (!INSTANCE_ID.matcher(id).matches()) {
                        throw new IllegalArgumentException("Invalid instance ID '" + id
                                + "': it must be 1 to 64 alphanumeric characters or hyphens");
                    }
                }
                case "--version" -> version = true;
                case "--help", "-h" -> help = true;
                default -> throw new IllegalArgumentException("Found argument '" + a
                        + "' which wasn't expected, or isn't valid in this context (the banger stub takes --api-sock, --id, --version, --help)");
            }
        }
        return new CommandLine(sock == null ? DEFAULT_API_SOCK : sock, id, version, help);
    }

    private static String value(List<String> args, int i, String flag) {
        if (i + 1 >= args.size() || args.get(i + 1).startsWith("--") || args.get(i + 1).isEmpty()) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args.get(i + 1);
    }
}
