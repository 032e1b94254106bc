package dev.banger.nomad;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * An ephemeral self-signed certificate for the plugin's end of go-plugin's mTLS, shaped as go-plugin's own
 * {@code generateCert}: CN and DNS name "localhost" (the host verifies the server as "localhost"), usable for both
 * server and client auth, a CA (it is its own trust root), valid from 30 s ago. ECDSA P-256 with SHA-256.
 *
 * <p>The JDK signs but has no public API to build a certificate, so the few DER structures of RFC 5280 are written
 * here; {@link CertificateFactory} parses the result back, so a malformed one fails at once, not in the host.
 */
record SelfSignedCert(X509Certificate certificate, PrivateKey key) {
    private static final byte[] ECDSA_WITH_SHA256 = oid(1, 2, 840, 10045, 4, 3, 2);
    private static final byte[] COMMON_NAME = oid(2, 5, 4, 3);
    private static final byte[] ORGANIZATION = oid(2, 5, 4, 10);
    private static final byte[] BASIC_CONSTRAINTS = oid(2, 5, 29, 19);
    private static final byte[] KEY_USAGE = oid(2, 5, 29, 15);
    private static final byte[] EXT_KEY_USAGE = oid(2, 5, 29, 37);
    private static final byte[] SUBJECT_ALT_NAME = oid(2, 5, 29, 17);
    private static final byte[] SERVER_AUTH = oid(1, 3, 6, 1, 5, 5, 7, 3, 1);
    private static final byte[] CLIENT_AUTH = oid(1, 3, 6, 1, 5, 5, 7, 3, 2);
    /** digitalSignature (bit 0) and keyCertSign (bit 5): 1000 0100, the last two bits unused. */
    private static final byte[] KEY_USAGE_BITS = {0x02, (byte) 0x84};
    private static final byte[] TRUE = {0x01, 0x01, (byte) 0xff};
    static final String HOST = "localhost";
    /** As long as go-plugin's: the plugin process never outlives it in practice; the host pins the exact cert. */
    static final Duration LIFETIME = Duration.ofHours(262980);

    static SelfSignedCert generate(Instant now) throws GeneralSecurityException {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = gen.generateKeyPair();
        SecureRandom random = new SecureRandom();
        byte[] name = seq(set(seq(COMMON_NAME, tlv(0x0c, HOST))), set(seq(ORGANIZATION, tlv(0x0c, "banger"))));
        byte[] algorithm = seq(ECDSA_WITH_SHA256);
        byte[] extensions = seq(
                seq(BASIC_CONSTRAINTS, TRUE, tlv(0x04, seq(TRUE))),
                seq(KEY_USAGE, TRUE, tlv(0x04, tlv(0x03, KEY_USAGE_BITS))),
                seq(EXT_KEY_USAGE, tlv(0x04, seq(SERVER_AUTH, CLIENT_AUTH))),
                seq(SUBJECT_ALT_NAME, tlv(0x04, seq(tlv(0x82, HOST)))));
        byte[] tbs = seq(
                tlv(0xa0, integer(BigInteger.TWO)), // v3
                integer(new BigInteger(127, random).add(BigInteger.ONE)), // positive, at most 16 bytes
                algorithm,
                name,
                seq(time(now.minusSeconds(30)), time(now.plus(LIFETIME))),
                name,
                pair.getPublic().getEncoded(), // already a SubjectPublicKeyInfo
                tlv(0xa3, extensions));
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(pair.getPrivate(), random);
        signer.update(tbs);
        byte[] signature = signer.sign();
        byte[] der = seq(tbs, algorithm, tlv(0x03, concat(new byte[] {0}, signature)));
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
        cert.verify(pair.getPublic());
        return new SelfSignedCert(cert, pair.getPrivate());
    }

    /** UTCTime before 2050, GeneralizedTime from then on (RFC 5280, 4.1.2.5). */
    private static byte[] time(Instant t) {
        var utc = t.atOffset(ZoneOffset.UTC);
        return utc.getYear() < 2050
                ? tlv(0x17, DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").format(utc))
                : tlv(0x18, DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").format(utc));
    }

    private static byte[] integer(BigInteger v) {
        return tlv(0x02, v.toByteArray()); // minimal two's complement, as DER wants
    }

    private static byte[] oid(int... arcs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(arcs[0] * 40 + arcs[1]);
        for (int i = 2; i < arcs.length; i++) {
            int v = arcs[i];
            int groups = 1;
            for (int rest = v >>> 7; rest != 0; rest >>>= 7) {
                groups++;
            }
            for (int g = groups - 1; g >= 0; g--) {
                out.write(((v >>> (7 * g)) & 0x7f) | (g == 0 ? 0 : 0x80));
            }
        }
        return tlv(0x06, out.toByteArray());
    }

    private static byte[] seq(byte[]... parts) {
        return tlv(0x30, concat(parts));
    }

    private static byte[] set(byte[]... parts) {
        return tlv(0x31, concat(parts));
    }

    private static byte[] tlv(int tag, String ascii) {
        return tlv(tag, ascii.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = (32 - Integer.numberOfLeadingZeros(n) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(n >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
