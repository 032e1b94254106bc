package dev.banger.nomad;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import javax.net.ssl.SSLException;

/**
 * go-plugin's automatic mutual TLS, the plugin's half. A host that wants it generates a certificate and passes its
 * PEM in {@code PLUGIN_CLIENT_CERT}; the plugin then makes an ephemeral certificate of its own, serves TLS with it,
 * demands a client certificate and trusts exactly the host's, and sends its own back in the handshake line. Nomad's
 * plugin loader does not turn this on, so without the variable the plugin serves plain gRPC on its private socket.
 */
record AutoMtls(SslContext serverContext, byte[] serverCertDer) {
    static final String CLIENT_CERT_ENV = "PLUGIN_CLIENT_CERT";

    /** Null when the host did not ask for mTLS. */
    static AutoMtls fromEnvironment(Map<String, String> env) throws GeneralSecurityException, SSLException {
        String pem = env.get(CLIENT_CERT_ENV);
        if (pem == null || pem.isBlank()) {
            return null;
        }
        X509Certificate client = parseClientCert(pem);
        SelfSignedCert own = SelfSignedCert.generate(Instant.now());
        // The JDK's TLS: no native library to unpack, and it is already in the process for the certificates.
        SslContext ctx = GrpcSslContexts.configure(SslContextBuilder.forServer(own.key(), own.certificate()),
                        SslProvider.JDK)
                .clientAuth(ClientAuth.REQUIRE)
                .trustManager(client)
                .protocols("TLSv1.3", "TLSv1.2") // go-plugin's MinVersion is TLS 1.2
                .build();
        return new AutoMtls(ctx, own.certificate().getEncoded());
    }

    /** Exactly one certificate: the host's, which the plugin then trusts and nothing else. */
    static X509Certificate parseClientCert(String pem) throws CertificateException {
        Collection<? extends java.security.cert.Certificate> certs;
        try {
            certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (CertificateException e) {
            throw new CertificateException(CLIENT_CERT_ENV + " is not a PEM certificate: " + e.getMessage(), e);
        }
        if (certs.size() != 1) {
            throw new CertificateException(CLIENT_CERT_ENV + " holds " + certs.size()
                    + " certificates; go-plugin's host passes exactly one");
        }
        return (X509Certificate) certs.iterator().next();
    }
}
