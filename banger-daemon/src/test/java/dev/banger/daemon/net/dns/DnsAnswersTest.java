package dev.banger.daemon.net.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class DnsAnswersTest {
    private final List<String> asked = new ArrayList<>();
    private final Map<String, String> vms = Map.of("web", "172.29.0.2", "db-1", "172.29.0.3", "broken", "not-an-address");
    private final DnsAnswers answers = new DnsAnswers(name -> {
        asked.add(name);
        return Optional.ofNullable(vms.get(name));
    });

    private static Message query(String name, int type) {
        return query(name, type, DClass.IN);
    }

    private static Message query(String name, int type, int dclass) {
        Message q = Message.newQuery(Record.newRecord(Name.fromConstantString(name), type, dclass));
        q.getHeader().setID(4242);
        return q;
    }

    private static void assertAuthoritativeSoa(Message r) {
        assertThat(r.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class)
                .satisfies(soa -> assertThat(soa.getTTL()).isEqualTo(5));
    }

    @Test
    void aKnownVmGetsItsAddressFor5Seconds() {
        Message r = answers.answer(query("web.vm.", Type.A));
        assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(r.getHeader().getID()).isEqualTo(4242);
        assertThat(r.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(r.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(r.getHeader().getFlag(Flags.RD)).as("copied").isTrue();
        assertThat(r.getHeader().getFlag(Flags.RA)).as("not a recursive resolver").isFalse();
        assertThat(r.getQuestion().getName()).isEqualTo(Name.fromConstantString("web.vm."));
        assertThat(r.getSection(Section.ANSWER)).singleElement().isInstanceOfSatisfying(ARecord.class, a -> {
            assertThat(a.getAddress().getHostAddress()).isEqualTo("172.29.0.2");
            assertThat(a.getTTL()).isEqualTo(DnsAnswers.TTL_SECONDS);
            assertThat(a.getName().toString()).isEqualTo("web.vm.");
        });
        assertThat(asked).containsExactly("web");
    }

    @Test
    void namesAreCaseInsensitiveAndTheAnswerKeepsTheQuestionsSpelling() {
        Message r = answers.answer(query("WeB.Vm.", Type.A));
        assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(r.getSection(Section.ANSWER)).singleElement()
                .satisfies(a -> assertThat(a.getName().toString()).isEqualTo("WeB.Vm."));
        assertThat(asked).containsExactly("web");
    }

    @Test
    void anyGivesTheARecord() {
        assertThat(answers.answer(query("db-1.vm.", Type.ANY)).getSection(Section.ANSWER)).singleElement()
                .isInstanceOf(ARecord.class);
    }

    @Test
    void anUnknownNameUnderVmIsNxdomainWithTheSoa() {
        Message r = answers.answer(query("nope.vm.", Type.A));
        assertThat(r.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(r.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(r.getSection(Section.ANSWER)).isEmpty();
        assertAuthoritativeSoa(r);
    }

    @Test
    void namesNoVmCanHaveAreNxdomainWithoutALookup() {
        for (String name : List.of("under_score.vm.", "a.web.vm.", "x.y.z.vm.", "-web.vm.")) {
            assertThat(answers.answer(query(name, Type.A)).getRcode()).as(name).isEqualTo(Rcode.NXDOMAIN);
        }
        assertThat(asked).isEmpty();
    }

    @Test
    void otherTypesOfAKnownNameAreNodata() {
        for (int type : new int[] {Type.AAAA, Type.MX, Type.TXT, Type.HTTPS, Type.CNAME}) {
            Message r = answers.answer(query("web.vm.", type));
            assertThat(r.getRcode()).as(Type.string(type)).isEqualTo(Rcode.NOERROR);
            assertThat(r.getSection(Section.ANSWER)).isEmpty();
            assertAuthoritativeSoa(r);
        }
    }

    @Test
    void theApexHasOnlyItsSoa() {
        Message soa = answers.answer(query("vm.", Type.SOA));
        assertThat(soa.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(soa.getSection(Section.ANSWER)).singleElement().isInstanceOf(SOARecord.class);
        Message a = answers.answer(query("vm.", Type.A));
        assertThat(a.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(a.getSection(Section.ANSWER)).isEmpty();
        assertAuthoritativeSoa(a);
    }

    @Test
    void namesOutsideVmAreRefused() {
        for (String name : List.of("example.com.", "vm.example.com.", "web.vmx.", ".", "localhost.")) {
            Message r = answers.answer(query(name, Type.A));
            assertThat(r.getRcode()).as(name).isEqualTo(Rcode.REFUSED);
            assertThat(r.getHeader().getFlag(Flags.AA)).isFalse();
            assertThat(r.getSection(Section.ANSWER)).isEmpty();
        }
        assertThat(asked).isEmpty();
    }

    @Test
    void otherClassesAndZoneTransfersAreRefused() {
        assertThat(answers.answer(query("web.vm.", Type.TXT, DClass.CH)).getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(answers.answer(query("vm.", Type.AXFR)).getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(answers.answer(query("vm.", Type.IXFR)).getRcode()).isEqualTo(Rcode.REFUSED);
    }

    @Test
    void otherOpcodesAreNotImplemented() {
        Message update = query("web.vm.", Type.A);
        update.getHeader().setOpcode(Opcode.UPDATE);
        assertThat(answers.answer(update).getRcode()).isEqualTo(Rcode.NOTIMP);
    }

    @Test
    void aQueryMustHaveExactlyOneQuestion() {
        Message none = new Message(7);
        assertThat(answers.answer(none).getRcode()).isEqualTo(Rcode.FORMERR);
        Message two = query("web.vm.", Type.A);
        two.addRecord(Record.newRecord(Name.fromConstantString("db-1.vm."), Type.A, DClass.IN), Section.QUESTION);
        assertThat(answers.answer(two).getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @Test
    void ednsIsEchoedAndUnknownVersionsGetBadvers() {
        Message q = query("web.vm.", Type.A);
        q.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
        Message r = answers.answer(q);
        assertThat(r.getOPT()).isNotNull();
        assertThat(r.getOPT().getPayloadSize()).isEqualTo(DnsAnswers.EDNS_UDP_LIMIT);
        assertThat(DnsAnswers.udpLimit(q)).isEqualTo(DnsAnswers.EDNS_UDP_LIMIT);
        Message v1 = query("web.vm.", Type.A);
        v1.addRecord(new OPTRecord(4096, 0, 1), Section.ADDITIONAL);
        Message bad = answers.answer(v1);
        assertThat(bad.getRcode()).isEqualTo(Rcode.BADVERS);
        assertThat(bad.getSection(Section.ANSWER)).isEmpty();
        assertThat(DnsAnswers.udpLimit(query("web.vm.", Type.A))).isEqualTo(512);
        Message tiny = query("web.vm.", Type.A);
        tiny.addRecord(new OPTRecord(100, 0, 0), Section.ADDITIONAL);
        assertThat(DnsAnswers.udpLimit(tiny)).isEqualTo(512);
    }

    @Test
    void aFailingOrBrokenLookupIsServfail() {
        assertThat(answers.answer(query("broken.vm.", Type.A)).getRcode()).isEqualTo(Rcode.SERVFAIL);
        DnsAnswers throwing = new DnsAnswers(name -> {
            throw new IllegalStateException("database is locked");
        });
        Message r = throwing.answer(query("web.vm.", Type.A));
        assertThat(r.getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(r.getSection(Section.ANSWER)).isEmpty();
    }

    // ---- packets as they arrive

    @Test
    void packetsRoundTrip() throws Exception {
        byte[] wire = query("web.vm.", Type.A).toWire();
        Message r = new Message(answers.answer(wire, wire.length, true).orElseThrow());
        assertThat(r.getSection(Section.ANSWER)).hasSize(1);
    }

    @Test
    void garbageWithAHeaderIsFormerrAndShortOrResponsePacketsGetNothing() throws Exception {
        byte[] garbage = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xC0, (byte) 0xFF};
        Message r = new Message(answers.answer(garbage, garbage.length, true).orElseThrow());
        assertThat(r.getHeader().getID()).isEqualTo(0x1234);
        assertThat(r.getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(r.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(r.getHeader().getFlag(Flags.RD)).isTrue();
        assertThat(answers.answer(new byte[11], 11, true)).isEmpty();
        byte[] response = query("web.vm.", Type.A).toWire();
        response[2] |= (byte) 0x80;
        assertThat(answers.answer(response, response.length, true)).isEmpty();
    }

    @Test
    void aCompressionLoopIsFormerr() throws Exception {
        // One question whose name is a pointer to itself.
        byte[] loop = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xC0, 12, 0, 1, 0, 1};
        assertThat(new Message(answers.answer(loop, loop.length, true).orElseThrow()).getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @Property(tries = 2000)
    void neverThrowsOnGarbageAndAnswersOnlyQueries(@ForAll @Size(max = 600) byte[] packet) throws Exception {
        Optional<byte[]> reply = answers.answer(packet, packet.length, true);
        if (packet.length < 12 || (packet[2] & 0x80) != 0) {
            assertThat(reply).isEmpty();
            return;
        }
        if (reply.isPresent()) {
            assertThat(reply.get().length).isLessThanOrEqualTo(DnsAnswers.EDNS_UDP_LIMIT);
            Message r = new Message(reply.get());
            assertThat(r.getHeader().getID()).isEqualTo(((packet[0] & 0xff) << 8) | (packet[1] & 0xff));
            assertThat(r.getHeader().getFlag(Flags.QR)).isTrue();
        }
    }

    /** Garbage that follows a valid header and question: the kind of input a fuzzer finds first. */
    @Property(tries = 1000)
    void neverThrowsOnMutatedQueries(@ForAll @Size(min = 1, max = 8) List<Integer> positions, @ForAll byte value) {
        byte[] wire = query("web.vm.", Type.A).toWire();
        for (int p : positions) {
            wire[Math.floorMod(p, wire.length)] = value;
        }
        answers.answer(wire, wire.length, true);
        answers.answer(wire, wire.length, false);
    }

    @Test
    void everyNameUnderTheE2bDomainIsTheListenersAddress() throws Exception {
        DnsAnswers withE2b = new DnsAnswers(name -> Optional.ofNullable(vms.get(name)),
                DnsAnswers.Wildcard.of("e2b.local", java.net.InetAddress.getByName("127.0.0.1")));
        for (String name : List.of("8080-0123456789ab.e2b.local.", "49983-0123456789AB.E2B.Local.", "e2b.local.", "x.y.e2b.local.")) {
            Message r = withE2b.answer(query(name, Type.A));
            assertThat(r.getRcode()).as(name).isEqualTo(Rcode.NOERROR);
            assertThat(r.getHeader().getFlag(Flags.AA)).isTrue();
            assertThat(r.getSection(Section.ANSWER)).singleElement().isInstanceOfSatisfying(ARecord.class, a -> {
                assertThat(a.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
                assertThat(a.getName().toString()).isEqualTo(name);
            });
        }
        Message aaaa = withE2b.answer(query("8080-0123456789ab.e2b.local.", Type.AAAA));
        assertThat(aaaa.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(aaaa.getSection(Section.ANSWER)).as("no IPv6 address: no data").isEmpty();
        assertThat(withE2b.answer(query("web.vm.", Type.A)).getSection(Section.ANSWER)).as("VMs still answer").hasSize(1);
        assertThat(withE2b.answer(query("8080-x.e2b.localx.", Type.A)).getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(withE2b.answer(query("e2b.local.example.", Type.A)).getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(answers.answer(query("8080-0123456789ab.e2b.local.", Type.A)).getRcode()).as("listener off: not ours")
                .isEqualTo(Rcode.REFUSED);
    }
}
