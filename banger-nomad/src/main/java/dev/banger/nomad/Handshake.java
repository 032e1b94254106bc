package dev.banger.nomad;

import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

/**
 * go-plugin's handshake with Nomad's values: the magic cookie the host sets in the plugin's environment, and the one
 * line the plugin prints on stdout to say where it serves. go-plugin's server writes six fields,
 * {@code CORE|APP|NETWORK|ADDRESS|PROTOCOL|SERVERCERT}, the last empty unless the host asked for mTLS; so a plain
 * line ends in {@code |}. The host splits the line on {@code |}, refuses a core version other than 1, and an app
 * version it does not speak (Nomad's plugins speak 2, {@code base.Handshake} in Nomad).
 */
final class Handshake {
    /** Nomad's {@code base.Handshake}: the cookie tells a binary that Nomad, not a user, started it. */
    static final String COOKIE_KEY = "NOMAD_PLUGIN_MAGIC_COOKIE";
    static final String COOKIE_VALUE = "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255";
    /** go-plugin's own protocol version ({@code CoreProtocolVersion}). */
    static final int CORE_PROTOCOL = 1;
    /** Nomad's plugin protocol: 2 is gRPC (1 was the pre-0.9 net/rpc executor). */
    static final int APP_PROTOCOL = 2;
    /** The host's list of app versions it speaks (go-plugin's client sets it; older hosts do not). */
    static final String VERSIONS_ENV = "PLUGIN_PROTOCOL_VERSIONS";

    static final String REFUSAL = """
            banger-nomad is a Nomad task driver plugin: Nomad launches it from its plugin_dir and speaks to it over \
            gRPC. It is not meant to be run by hand: configure Nomad's client with plugin "banger" (see \
            banger-nomad/README.md).""";

    private Handshake() {
    }

    static boolean cookieAccepted(Map<String, String> env) {
        return COOKIE_VALUE.equals(env.get(COOKIE_KEY));
    }

    /**
     * Whether the host speaks app protocol 2. go-plugin's server serves its default version when the host's list
     * names none of its own, and the host then refuses the line with a message naming both; the plugin does the same,
     * and only warns. A host that sends no list is an older go-plugin, which speaks the default.
     */
    static boolean hostSpeaksAppProtocol(Map<String, String> env) {
        String versions = env.get(VERSIONS_ENV);
        if (versions == null || versions.isBlank()) {
            return true;
        }
        for (String v : versions.split(",")) {
            if (v.strip().equals(Integer.toString(APP_PROTOCOL))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The handshake line (without its newline). The certificate, when there is one, is the raw DER of the server's
     * leaf certificate in base64 without padding ({@code base64.RawStdEncoding}), since the line cannot carry PEM's
     * newlines; the host trusts exactly that certificate.
     */
    static String line(Path socket, byte[] serverCertDer) {
        String cert = serverCertDer == null ? "" : Base64.getEncoder().withoutPadding().encodeToString(serverCertDer);
        String address = socket.toString();
        if (address.indexOf('|') >= 0 || address.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("socket path " + address + " cannot be carried by the handshake line"
                    + " ('|' or a newline in it): set PLUGIN_UNIX_SOCKET_DIR or TMPDIR to a plain directory");
        }
        return CORE_PROTOCOL + "|" + APP_PROTOCOL + "|unix|" + address + "|grpc|" + cert;
    }
}
