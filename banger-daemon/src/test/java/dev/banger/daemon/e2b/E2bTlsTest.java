package dev.banger.daemon.e2b;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.Params;
import dev.banger.core.e2b.E2bSettings;
import dev.banger.store.Database;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The listener over TLS from PEM files (a self-signed test certificate for 127.0.0.1, EC, PKCS#8 key). */
class E2bTlsTest {
    @TempDir
    Path dir;

    private Path resource(String name) throws Exception {
        Path p = dir.resolve(name);
        try (InputStream in = getClass().getResourceAsStream("/e2b/" + name)) {
            Files.copy(in, p);
        }
        return p;
    }

    @Test
    void servesHttpsWithThePemCertificate() throws Exception {
        Path cert = resource("test.crt");
        Path key = resource("test.key");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(cert)) {
            trust.setCertificateEntry("e2b", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        SecureRandom random = new SecureRandom();
        try (Database db = Database.open(dir.resolve("state.db"))) {
            E2bKeys keys = new E2bKeys(db.e2b(), Clock.systemUTC(), random);
            String apiKey = keys.create(new Params.E2bKeyCreate(null)).key();
            E2bRoom room = E2bRoom.start(new E2bSettings("127.0.0.1", 0, "e2b.test", 2, 2, cert, key), db.e2b(), keys,
                    new E2bApiTest.FakeBackend(), new NoGuests(), "debian-bookworm", dir.resolve("secret"), Clock.systemUTC(), random);
            try {
                HttpClient client = HttpClient.newBuilder().sslContext(ssl).build();
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + room.port() + "/v2/sandboxes"))
                        .header("X-API-Key", apiKey).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("[]");
            } finally {
                room.close();
            }
        }
    }

    @Test
    void aKeyThatIsNotPkcs8IsRefusedSayingHowToConvertIt() throws Exception {
        Path cert = resource("test.crt");
        Path bad = dir.resolve("rsa.key");
        Files.writeString(bad, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> PemTls.factory(cert, bad)).isInstanceOf(BangerException.class).hasMessageContaining("openssl pkcs8");
    }
}
