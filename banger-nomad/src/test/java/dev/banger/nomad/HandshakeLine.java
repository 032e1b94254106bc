package dev.banger.nomad;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;

/**
 * go-plugin's handshake line as the harness reads it, more strictly than go-plugin's client (which tolerates fewer
 * fields and ignores a short sixth): exactly the six fields go-plugin's server writes,
 * {@code 1|2|unix|/abs/socket|grpc|CERT}, CERT empty for plain gRPC or else the server's DER certificate in base64
 * without padding, naming localhost and fit for server auth.
 */
record HandshakeLine(int core, int app, String network, Path socket, String protocol, X509Certificate serverCert) {

    static HandshakeLine parse(String line) {
        if (line == null) {
            throw new AssertionError("the plugin printed no handshake line");
        }
        String[] f = line.split("\\|", -1);
        if (f.length != 6) {
            throw new AssertionError("handshake line has " + f.length + " fields, go-plugin's server writes 6: " + line);
        }
        if (!f[0].equals("1")) {
            throw new AssertionError("core protocol " + f[0] + ", go-plugin's host speaks only 1: " + line);
        }
        if (!f[1].equals("2")) {
            throw new AssertionError("app protocol " + f[1] + ", Nomad's plugins speak 2: " + line);
        }
        if (!f[2].equals("unix")) {
            throw new AssertionError("network " + f[2] + ", the plugin serves on a Unix socket: " + line);
        }
        Path socket = Path.of(f[3]);
        if (!socket.isAbsolute() || !socket.normalize().equals(socket)) {
            throw new AssertionError("socket path is not absolute and normal: " + f[3]);
        }
        if (!f[4].equals("grpc")) {
            throw new AssertionError("protocol " + f[4] + ", Nomad's loader allows only grpc: " + line);
        }
        X509Certificate cert = f[5].isEmpty() ? null : certificate(f[5]);
        return new HandshakeLine(1, 2, f[2], socket, f[4], cert);
    }

    private static X509Certificate certificate(String field) {
        if (field.length() <= 50) {
            // go-plugin's client ignores a sixth field this short: the plugin would get no mTLS at all
            throw new AssertionError("certificate field too short for go-plugin's client to read: " + field);
        }
        if (field.indexOf('=') >= 0) {
            throw new AssertionError("certificate field is padded; go-plugin decodes it with RawStdEncoding");
        }
        X509Certificate cert;
        try {
            byte[] der = Base64.getDecoder().decode(field);
            cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
            cert.checkValidity();
            if (!cert.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.1")) {
                throw new AssertionError("server certificate not for server auth: " + cert.getExtendedKeyUsage());
            }
            if (!cert.getSubjectAlternativeNames().contains(List.of(2, "localhost"))) {
                throw new AssertionError("server certificate does not name localhost, which go-plugin's host verifies: "
                        + cert.getSubjectAlternativeNames());
            }
            cert.verify(cert.getPublicKey()); // self-signed: the host pins it as its only root
        } catch (IllegalArgumentException | java.security.GeneralSecurityException e) {
            throw new AssertionError("certificate field is not a base64 DER X.509 certificate: " + e, e);
        }
        return cert;
    }
}
