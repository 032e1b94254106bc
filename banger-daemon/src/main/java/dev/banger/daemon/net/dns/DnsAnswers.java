package dev.banger.daemon.net.dns;

import dev.banger.core.Ipv4Subnet;
import dev.banger.core.VmNames;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * What banger's DNS server answers: it is authoritative for {@code vm.} and nothing else (not a recursive
 * resolver). No sockets here: a query message in, a response message out, given the VM lookup.
 * <ul>
 *   <li>{@code NAME.vm} of a VM: A with its guest address (TTL 5 s, so a re-created VM is found quickly);
 *       AAAA and other types: NOERROR with no data;</li>
 *   <li>any other name under vm.: NXDOMAIN; the SOA in the authority section lets resolvers cache the
 *       negative answer for 5 s only;</li>
 *   <li>when the E2B listener is on, every name under its domain ({@code [e2b] domain}, {@code 8080-ID.e2b.local}: the
 *       SDK's {@code getHost}): A with the listener's address, which routes by the Host header;</li>
 *   <li>names outside vm., other classes, zone transfers: REFUSED; opcodes other than QUERY: NOTIMP;</li>
 *   <li>malformed packets: FORMERR when there is a header to answer, else nothing. Packets that are
 *       themselves responses are never answered, so two servers cannot be made to talk to each other.</li>
 * </ul>
 */
public final class DnsAnswers {
    private static final Logger LOG = Logger.getLogger(DnsAnswers.class.getName());

    public static final Name ZONE = Name.fromConstantString("vm.");
    public static final long TTL_SECONDS = 5;
    /** RFC 1035's limit for a reply to a query without EDNS. */
    static final int CLASSIC_UDP_LIMIT = 512;
    /** The EDNS payload size DNS Flag Day 2020 recommends: no IP fragmentation on common paths. */
    static final int EDNS_UDP_LIMIT = 1232;
    static final int HEADER_BYTES = 12;

    private static final SOARecord SOA = new SOARecord(ZONE, DClass.IN, TTL_SECONDS, ZONE,
            Name.fromConstantString("nobody.invalid."), 1, 3600, 600, 86400, TTL_SECONDS);

    private final VmAddresses addresses;
    private final Wildcard wildcard;

    /** A zone every name of which has one address (the E2B listener's, for its domain). */
    public record Wildcard(Name zone, InetAddress address) {
        public static Wildcard of(String domain, InetAddress address) {
            try {
                return new Wildcard(Name.fromString(domain, Name.root), address);
            } catch (org.xbill.DNS.TextParseException e) {
                throw new IllegalArgumentException("not a domain name: " + domain, e);
            }
        }
    }

    public DnsAnswers(VmAddresses addresses) {
        this(addresses, null);
    }

    /** {@code wildcard}: null for none. */
    public DnsAnswers(VmAddresses addresses, Wildcard wildcard) {
        this.addresses = Objects.requireNonNull(addresses);
        this.wildcard = wildcard;
    }

    /**
     * Answers a packet as received; empty when it deserves no answer. {@code udp} is false for TCP,
     * whose replies may use the full 64 KiB. Never throws.
     */
    public Optional<byte[]> answer(byte[] packet, int length, boolean udp) {
        if (length < HEADER_BYTES || (packet[2] & 0x80) != 0) {
            return Optional.empty(); // not even a header, or a response (QR set): never answer those
        }
        Message query;
        try {
            query = new Message(java.util.Arrays.copyOf(packet, length));
        } catch (Exception e) { // WireParseException mostly; dnsjava may throw unchecked ones on odd input
            return Optional.of(formErr(packet));
        }
        Message response = answer(query);
        int limit = udp ? udpLimit(query) : 65535;
        try {
            return Optional.of(response.toWire(limit));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot encode a DNS reply", e);
            return Optional.empty();
        }
    }

    /** The response to a parsed query. Never throws: a failing lookup is SERVFAIL. */
    public Message answer(Message query) {
        Header qh = query.getHeader();
        Message r = new Message(qh.getID());
        Header h = r.getHeader();
        h.setFlag(Flags.QR);
        h.setOpcode(qh.getOpcode());
        if (qh.getFlag(Flags.RD)) {
            h.setFlag(Flags.RD);
        }
        if (qh.getFlag(Flags.QR)) {
            h.setRcode(Rcode.FORMERR);
            return r;
        }
        if (qh.getOpcode() != Opcode.QUERY) {
            h.setRcode(Rcode.NOTIMP);
            return r;
        }
        List<Record> questions = query.getSection(Section.QUESTION);
        List<Record> opts = query.getSection(Section.ADDITIONAL).stream().filter(rec -> rec.getType() == Type.OPT).toList();
        if (questions.size() != 1 || opts.size() > 1) {
            h.setRcode(Rcode.FORMERR);
            return r;
        }
        Record question = questions.getFirst();
        r.addRecord(question, Section.QUESTION);
        if (!opts.isEmpty()) {
            OPTRecord opt = (OPTRecord) opts.getFirst();
            if (opt.getVersion() != 0) {
                // BADVERS (16) does not fit the header's 4 bits: its high bits go in the OPT record.
                r.addRecord(new OPTRecord(EDNS_UDP_LIMIT, Rcode.BADVERS >>> 4, 0), Section.ADDITIONAL);
                h.setRcode(Rcode.BADVERS & 0xF);
                return r;
            }
            r.addRecord(new OPTRecord(EDNS_UDP_LIMIT, 0, 0), Section.ADDITIONAL);
        }
        try {
            answerQuestion(question, r);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "DNS lookup of " + question.getName() + " failed", e);
            r.removeAllRecords(Section.ANSWER);
            r.removeAllRecords(Section.AUTHORITY);
            h.unsetFlag(Flags.AA);
            h.setRcode(Rcode.SERVFAIL);
        }
        return r;
    }

    private void answerQuestion(Record question, Message r) {
        Header h = r.getHeader();
        Name qname = question.getName();
        int type = question.getType();
        int dclass = question.getDClass();
        if (wildcard != null && qname.subdomain(wildcard.zone()) && (dclass == DClass.IN || dclass == DClass.ANY)
                && type != Type.AXFR && type != Type.IXFR) {
            h.setFlag(Flags.AA);
            if (type == Type.A || type == Type.ANY) {
                r.addRecord(new ARecord(qname, DClass.IN, TTL_SECONDS, wildcard.address()), Section.ANSWER);
            }
            return; // other types: NOERROR, no data
        }
        if (!qname.subdomain(ZONE) || (dclass != DClass.IN && dclass != DClass.ANY)
                || type == Type.AXFR || type == Type.IXFR) {
            h.setRcode(Rcode.REFUSED);
            return;
        }
        h.setFlag(Flags.AA);
        if (qname.labels() == ZONE.labels()) { // the apex, "vm." itself: only its SOA
            if (type == Type.SOA || type == Type.ANY) {
                r.addRecord(SOA, Section.ANSWER);
            } else {
                r.addRecord(SOA, Section.AUTHORITY);
            }
            return;
        }
        Optional<InetAddress> address = qname.labels() == ZONE.labels() + 1 ? lookup(qname.getLabelString(0)) : Optional.empty();
        if (address.isEmpty()) {
            h.setRcode(Rcode.NXDOMAIN);
            r.addRecord(SOA, Section.AUTHORITY);
            return;
        }
        if (type == Type.A || type == Type.ANY) {
            // The question's own spelling: resolvers that randomise letter case expect it back.
            r.addRecord(new ARecord(qname, DClass.IN, TTL_SECONDS, address.get()), Section.ANSWER);
        } else {
            r.addRecord(SOA, Section.AUTHORITY); // NODATA: the name exists, this type does not
        }
    }

    /** The VM's address, if the label is a VM name and the VM has a usable IPv4 address. */
    private Optional<InetAddress> lookup(String label) {
        String name = label.toLowerCase(Locale.ROOT);
        if (!VmNames.isValid(name)) {
            return Optional.empty(); // no VM can have this name: no lookup needed
        }
        Optional<String> text = addresses.addressOf(name);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        int a = Ipv4Subnet.parseAddress(text.get()); // throws on a bad record: SERVFAIL, logged
        byte[] bytes = {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
        try {
            return Optional.of(InetAddress.getByAddress(bytes)); // four bytes: no name service involved
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** UDP replies fit what the client said it accepts (at least 512 bytes, at most 1232). */
    static int udpLimit(Message query) {
        OPTRecord opt = query.getOPT();
        if (opt == null) {
            return CLASSIC_UDP_LIMIT;
        }
        return Math.clamp(opt.getPayloadSize(), CLASSIC_UDP_LIMIT, EDNS_UDP_LIMIT);
    }

    /** FORMERR for a packet dnsjava could not parse, built from its raw header (id, opcode, RD). */
    static byte[] formErr(byte[] packet) {
        Header h = new Header(((packet[0] & 0xff) << 8) | (packet[1] & 0xff));
        h.setFlag(Flags.QR);
        h.setOpcode((packet[2] >>> 3) & 0xF);
        if ((packet[2] & 0x01) != 0) {
            h.setFlag(Flags.RD);
        }
        h.setRcode(Rcode.FORMERR);
        Message m = new Message();
        m.setHeader(h);
        return m.toWire();
    }
}
