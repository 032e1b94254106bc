package dev.banger.host.guest;

import dev.banger.core.ports.PortRows.Scheme;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * What a guest's TCP listener speaks, found by asking it: a TLS handshake first, then an HTTP request
 * over it (https; a handshake with no HTTP behind it is tls); failing that, an HTTP request in clear
 * (http); otherwise plain tcp. TLS goes first because many TLS servers answer a cleartext request with
 * an HTTP error, which would otherwise pass for http. Each step is bounded by the timeout; a server
 * that accepts and never answers costs two timeouts and is tcp.
 *
 * <p>Certificates are not checked: this only labels a port, it trusts nothing it reads, and reads at
 * most a few bytes.
 */
public final class PortProbe {
    private static final byte[] HTTP_PREFIX = "HTTP/".getBytes(StandardCharsets.US_ASCII);

    private PortProbe() {
    }

    public static Scheme classify(String host, int port, String serverName, Duration timeout) {
        Boolean tlsHttp = overTls(host, port, serverName, timeout);
        if (tlsHttp != null) {
            return tlsHttp ? Scheme.HTTPS : Scheme.TLS;
        }
        try (Socket s = connect(host, port, timeout)) {
            return speaksHttp(s, serverName) ? Scheme.HTTP : Scheme.TCP;
        } catch (IOException e) {
            return Scheme.TCP;
        }
    }

    /** Null when no TLS handshake completes; else whether HTTP answers over it. */
    private static Boolean overTls(String host, int port, String serverName, Duration timeout) {
        try (Socket plain = connect(host, port, timeout);
             SSLSocket tls = (SSLSocket) insecureContext().getSocketFactory().createSocket(plain, serverName, port, true)) {
            SSLParameters p = tls.getSSLParameters();
            try {
                p.setServerNames(List.of(new SNIHostName(serverName)));
            } catch (IllegalArgumentException notAHostName) {
                // no SNI then
            }
            tls.setSSLParameters(p);
            tls.startHandshake();
            try {
                return speaksHttp(tls, serverName);
            } catch (IOException e) {
                return false;
            }
        } catch (IOException | GeneralSecurityException e) {
            return null;
        }
    }

    private static Socket connect(String host, int port, Duration timeout) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** Sends GET / (some servers, openssl s_server -www among them, answer no HEAD) and reads five bytes: HTTP answers "HTTP/". */
    private static boolean speaksHttp(Socket s, String serverName) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(("GET / HTTP/1.0\r\nHost: " + serverName + "\r\nUser-Agent: banger-vm-ports\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        byte[] got = in.readNBytes(HTTP_PREFIX.length);
        return java.util.Arrays.equals(got, HTTP_PREFIX);
    }

    private static SSLContext insecureContext() throws GeneralSecurityException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                // labelling only: any certificate, self-signed ones included
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return ctx;
    }
}
