package dev.banger.nomad;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host's certificate for go-plugin's mTLS, shaped as go-plugin's client makes it ({@code generateCert}: ECDSA
 * P-521, CN and DNS name localhost, server and client auth, a CA) and made by the JDK's keytool, an implementation
 * apart from the plugin's own certificate code.
 */
record HostCert(X509Certificate certificate, PrivateKey key) {
    private static final char[] PASSWORD = "harness".toCharArray();

    static HostCert generate(Path dir) throws IOException, InterruptedException, GeneralSecurityException {
        Path store = dir.resolve("host-" + System.nanoTime() + ".p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", "host",
                "-keyalg", "EC", "-groupname", "secp521r1", "-sigalg", "SHA512withECDSA",
                "-dname", "CN=localhost,O=HashiCorp", "-validity", "2",
                "-ext", "san=dns:localhost", "-ext", "eku=clientAuth,serverAuth",
                "-ext", "ku:c=digitalSignature,keyEncipherment,keyAgreement,keyCertSign", "-ext", "bc:c=ca:true",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", new String(PASSWORD)))
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + output);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD);
        }
        Files.delete(store);
        return new HostCert((X509Certificate) ks.getCertificate("host"), (PrivateKey) ks.getKey("host", PASSWORD));
    }

    /** PEM, as go-plugin's client puts it in PLUGIN_CLIENT_CERT. */
    String pem() throws GeneralSecurityException {
        return "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }
}
