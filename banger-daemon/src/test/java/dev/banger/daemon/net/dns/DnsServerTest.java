package dev.banger.daemon.net.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/** The server on 127.0.0.1 and an ephemeral port, queried with dnsjava's own resolver and with raw packets. */
class DnsServerTest {
    private final Map<String, String> vms = new ConcurrentHashMap<>(Map.of("web", "172.29.0.2"));
    private DnsServer server;

    @BeforeEach
    void start() throws IOException {
        server = DnsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                name -> Optional.ofNullable(vms.get(name)));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private SimpleResolver resolver(boolean tcp) {
        SimpleResolver r = new SimpleResolver(server.address());
        r.setTimeout(Duration.ofSeconds(3));
        r.setTCP(tcp);
        return r;
    }

    private Message ask(String name, int type) throws IOException {
        return ask(name, type, false);
    }

    private Message ask(String name, int type, boolean tcp) throws IOException {
        return resolver(tcp).send(Message.newQuery(Record.newRecord(Name.fromConstantString(name), type, DClass.IN)));
    }

    private static String address(Message m) {
        return ((ARecord) m.getSection(Section.ANSWER).getFirst()).getAddress().getHostAddress();
    }

    @Test
    void answersOverUdpAsSoonAsStartReturns() throws IOException {
        assertThat(server.address().getPort()).isPositive();
        Message r = ask("web.vm.", Type.A);
        assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(address(r)).isEqualTo("172.29.0.2");
        assertThat(r.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(5);
    }

    @Test
    void unknownAaaaAndOutsideNames() throws IOException {
        assertThat(ask("nope.vm.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        Message aaaa = ask("web.vm.", Type.AAAA);
        assertThat(aaaa.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(aaaa.getSection(Section.ANSWER)).isEmpty();
        assertThat(ask("example.com.", Type.A).getRcode()).isEqualTo(Rcode.REFUSED);
    }

    @Test
    void answersOverTcp() throws IOException {
        assertThat(address(ask("web.vm.", Type.A, true))).isEqualTo("172.29.0.2");
        assertThat(ask("nope.vm.", Type.A, true).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void theRecordsAreLive() throws IOException {
        assertThat(ask("new.vm.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        vms.put("new", "172.29.0.9");
        assertThat(address(ask("new.vm.", Type.A))).isEqualTo("172.29.0.9");
        vms.remove("new");
        assertThat(ask("new.vm.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void garbageGetsFormerrOrNothingAndTheServerKeepsAnswering() throws Exception {
        try (DatagramSocket raw = new DatagramSocket()) {
            raw.setSoTimeout(3000);
            byte[] garbage = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xC0, (byte) 0xFF, 1, 2, 3};
            raw.send(new DatagramPacket(garbage, garbage.length, server.address()));
            DatagramPacket in = new DatagramPacket(new byte[1024], 1024);
            raw.receive(in);
            Message r = new Message(java.util.Arrays.copyOf(in.getData(), in.getLength()));
            assertThat(r.getHeader().getID()).isEqualTo(0x1234);
            assertThat(r.getRcode()).isEqualTo(Rcode.FORMERR);
            // Short packets, empty ones and a 64 KiB one (read into 4 KiB): no reply, no harm.
            for (byte[] junk : List.of(new byte[0], new byte[] {1, 2, 3}, new byte[65000])) {
                raw.send(new DatagramPacket(junk, junk.length, server.address()));
            }
        }
        assertThat(address(ask("web.vm.", Type.A))).isEqualTo("172.29.0.2");
    }

    @Test
    void tcpGarbageClosesOnlyThatConnection() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(server.address(), 3000);
            s.setSoTimeout(3000);
            s.getOutputStream().write(new byte[] {(byte) 0xFF, (byte) 0xFF}); // announces a 65535-byte query
            assertThat(s.getInputStream().read()).as("closed without reading it").isEqualTo(-1);
        }
        try (Socket s = new Socket()) { // a client that never sends is dropped after the idle timeout
            s.connect(server.address(), 3000);
            s.setSoTimeout(10_000);
            long start = System.nanoTime();
            assertThat(new DataInputStream(s.getInputStream()).read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(9));
        }
        assertThat(address(ask("web.vm.", Type.A, true))).isEqualTo("172.29.0.2");
    }

    @Test
    void manyQueriesAtOnce() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                results.add(pool.submit(() -> address(ask("web.vm.", Type.A))));
            }
            for (Future<String> f : results) {
                assertThat(f.get()).isEqualTo("172.29.0.2");
            }
        }
    }

    @Test
    void closeStopsServingAndFreesThePort() throws IOException {
        InetSocketAddress where = server.address();
        server.close();
        server.close(); // twice is fine
        SimpleResolver r = new SimpleResolver(where);
        r.setTimeout(Duration.ofMillis(500));
        assertThatThrownBy(() -> r.send(Message.newQuery(Record.newRecord(Name.fromConstantString("web.vm."), Type.A, DClass.IN))))
                .isInstanceOf(IOException.class);
        server = DnsServer.start(where, name -> Optional.empty()); // same address and port: free again
        assertThat(server.address()).isEqualTo(where);
        assertThat(ask("web.vm.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void aTakenPortIsAClearError() throws IOException {
        assertThatThrownBy(() -> DnsServer.start(server.address(), name -> Optional.empty()))
                .isInstanceOf(java.net.BindException.class).hasMessageContaining("cannot bind the DNS server");
    }
}
