package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelfSignedCertTest {
    @Test
    void isShapedAsGoPluginsCertificates() throws Exception {
        Instant now = Instant.now();
        var c = SelfSignedCert.generate(now).certificate();
        c.checkValidity();
        c.verify(c.getPublicKey());
        assertThat(c.getVersion()).isEqualTo(3);
        assertThat(c.getSerialNumber().signum()).isPositive();
        assertThat(c.getSubjectX500Principal()).isEqualTo(c.getIssuerX500Principal());
        assertThat(c.getSubjectX500Principal().getName()).contains("CN=localhost");
        assertThat(c.getSubjectAlternativeNames()).containsExactly(List.of(2, "localhost"));
        assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(c.getBasicConstraints()).isNotNegative(); // a CA: the host pins it as its root
        assertThat(c.getKeyUsage()[0]).as("digitalSignature").isTrue();
        assertThat(c.getKeyUsage()[5]).as("keyCertSign").isTrue();
        assertThat(c.getNotBefore().toInstant()).isBefore(now);
        assertThat(c.getNotAfter().toInstant()).isAfter(now.plus(SelfSignedCert.LIFETIME).minusSeconds(2));
        assertThat(c.getCriticalExtensionOIDs()).containsExactlyInAnyOrder("2.5.29.19", "2.5.29.15");
    }

    @Test
    void writesGeneralizedTimeFrom2050() throws Exception {
        var c = SelfSignedCert.generate(Instant.parse("2049-12-31T23:59:00Z")).certificate();
        assertThat(c.getNotAfter().toInstant()).isAfter(Instant.parse("2050-01-01T00:00:00Z"));
        assertThat(c.getNotBefore().toInstant()).isEqualTo(Instant.parse("2049-12-31T23:58:30Z"));
    }
}
