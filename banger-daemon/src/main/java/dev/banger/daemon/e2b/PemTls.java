package dev.banger.daemon.e2b;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** TLS for the listener from PEM files: a certificate chain and an unencrypted PKCS#8 private key ("BEGIN PRIVATE KEY"). */
final class PemTls {
    private static final Pattern PKCS8 = Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    private static final char[] PASSWORD = "banger".toCharArray(); // an in-memory store's, protecting nothing

    private PemTls() {
    }

    static SslContextFactory.Server factory(Path certFile, Path keyFile) {
        try {
            Certificate[] chain = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(certFile))).toArray(Certificate[]::new);
            if (chain.length == 0) {
                throw tlsError(certFile + " holds no PEM certificate");
            }
            PrivateKey key = privateKey(keyFile, Files.readString(keyFile));
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("e2b", key, PASSWORD, chain);
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStore(store);
            ssl.setKeyStorePassword(new String(PASSWORD));
            return ssl;
        } catch (IOException | GeneralSecurityException e) {
            throw tlsError("cannot use " + certFile + " and " + keyFile + " for TLS: " + e.getMessage());
        }
    }

    private static PrivateKey privateKey(Path file, String pem) throws GeneralSecurityException {
        Matcher m = PKCS8.matcher(pem);
        if (!m.find()) {
            throw tlsError(file + " is not an unencrypted PKCS#8 PEM key (\"BEGIN PRIVATE KEY\"); convert one with "
                    + "'openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW'");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        GeneralSecurityException last = null;
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw last;
    }

    private static BangerException tlsError(String message) {
        return new BangerException(ErrorCode.INVALID_ARGUMENT, "[e2b] tls: " + message);
    }
}
