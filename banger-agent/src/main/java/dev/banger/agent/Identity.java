package dev.banger.agent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@code identity} op: a guest restored from another VM's memory image (a snapshot's or a fork's child)
 * still has that VM's kernel state: the same RNG state as its siblings, the clock of the moment the image was
 * saved, the parent's MAC, address, hostname, machine id and sshd host key. The host asks the agent over its
 * channel (no guest network needed) to make the guest the child, and sends every value itself (built from the
 * same configuration it writes the child's config drive from), so that nothing is read from that drive and
 * one program starts, not a script and the dozen it ran: in a freshly restored guest QEMU's translation cache
 * is empty, and each program costs tens to hundreds of ms under TCG (the script took 1.8-3.2 s). In order:
 * <ol>
 *   <li>{@code rng}: the host's random bytes into the kernel's pool and a forced reseed of its CRNG, so that
 *       nothing random made from here on (sshd's state, a program's keys) is the parent's or a sibling's
 *       ({@code RNDADDENTROPY}, then {@code RNDRESEEDCRNG}; a kernel without the latter, before 4.17, or
 *       whose CRNG is not initialised yet, is reported, not fatal);</li>
 *   <li>{@code clock}: {@code CLOCK_REALTIME} set to the host's time (as sent; the transit is not added);</li>
 *   <li>{@code network}: the NIC given the child's MAC, address, default route, and no neighbour of the
 *       parent's, by one {@code ip -4 -batch} ({@link #batch}; its status and output are the host's to judge);</li>
 *   <li>{@code files}: written by the agent, atomically: hostname (the kernel's and /etc/hostname), the
 *       {@code 127.0.1.1} line of /etc/hosts, /etc/resolv.conf (when its nameserver differs), sshd's ed25519
 *       host key, the agent token, the machine id;</li>
 *   <li>{@code sshd}: SIGHUP to the listening sshd, which re-executes itself with the new host key.</li>
 * </ol>
 * Request: {@code {"op": "identity", "entropy": BASE64 of 32 to 512 bytes, "time_ns": N > 0, "hostname",
 * "mac", "address", "gateway", "dns", "token" (absent: none), "machine_id", "host_key", "host_key_pub"}}, each
 * checked as apply-config checks the same value ({@link Asked#of}); an invalid one is an error and nothing is
 * done. Answer: {@code {"reseeded", "clock_corrected_ms", "nic", "network_status", "sshd": "reloaded" |
 * "absent", "ms": {"rng", "clock", "network", "files", "sshd"}, "log"}}; a step that fails is an error that
 * says what was done before it, and the later steps are not run. A non-zero {@code network_status} is not
 * such a failure (the files and sshd do not depend on the network; the host fails the restore on it). The
 * side effects are behind {@link Steps}, so that tests replace them: the real ones ({@link IdentitySteps})
 * would reseed and set the clock of the machine running the test.
 */
final class Identity {
    static final int MIN_ENTROPY_BYTES = 32;
    static final int MAX_ENTROPY_BYTES = 512;
    /** The longest base64 text of {@link #MAX_ENTROPY_BYTES} (with padding): checked before decoding. */
    static final int MAX_ENTROPY_TEXT = (MAX_ENTROPY_BYTES + 2) / 3 * 4;
    /** How long {@code ip -batch} may take: a handful of netlink requests, seconds only if something hangs. */
    static final long NETWORK_TIMEOUT_MILLIS = 10_000;
    /** How much of ip's output (stdout and stderr) the answer carries: its last bytes. */
    static final int LOG_BYTES = 4096;
    static final int MAX_HOST_KEY_CHARS = 8192;
    static final int MAX_PUBLIC_KEY_CHARS = 1024;
    static final String KEY_BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
    static final String KEY_END = "-----END OPENSSH PRIVATE KEY-----";

    /** What the op does to the guest, one method a step. */
    interface Steps {
        /**
         * Adds {@code entropy} to the kernel's pool (credited at 8 bits a byte) and forces a reseed of its CRNG;
         * false when this kernel cannot reseed on demand (the bytes are in the pool all the same).
         */
        boolean reseed(byte[] entropy) throws IOException;

        /** Sets CLOCK_REALTIME to {@code epochNanos}; answers the correction, in ns: the new time less the clock before. */
        long setClock(long epochNanos) throws IOException;

        /**
         * Finds the NIC and runs {@code ip -4 -batch} over {@link #batch}{@code (nic, asked)}, bounded; which NIC,
         * ip's status (128+N for signal N) and the tail of its output. An IOException when there is no NIC to
         * address or no ip to run.
         */
        Networked network(Asked asked) throws IOException;

        /** Writes the guest's files for {@code asked} ({@link IdentitySteps#files}). */
        void files(Asked asked) throws IOException;

        /** SIGHUP to the listening sshd: {@code "reloaded"}, or {@code "absent"} when none runs. */
        String reloadSshd() throws IOException;
    }

    /** How the network step went: the NIC, ip's status as a shell reports it, and the last of its output. */
    record Networked(String nic, int status, String log) {
    }

    /** A program's end: its status as a shell reports it, and the last of its output (stdout and stderr). */
    record Ran(int status, String log) {
    }

    /** A valid request's values; {@code token} is null when the request has none. */
    record Asked(byte[] entropy, long timeNanos, String hostname, String mac, String address, String gateway, String dns,
                 String token, String machineId, String hostKey, String hostKeyPub) {
        /** The request's values, checked; an IllegalArgumentException (its text for the host) when one is not valid. */
        static Asked of(Request request) {
            long time = request.number("time_ns", 0, 1, Long.MAX_VALUE);
            if (time == 0) {
                throw new IllegalArgumentException("'time_ns' is required: the host's CLOCK_REALTIME in ns since the epoch");
            }
            String hostname = required(request, "hostname", 63, "a DNS label (1-63 of a-z, 0-9, '-', no '-' at either end)");
            if (!isLabel(hostname)) {
                throw invalid("hostname", "a DNS label (1-63 of a-z, 0-9, '-', no '-' at either end)");
            }
            String mac = required(request, "mac", 17, "a unicast MAC in lowercase (xx:xx:xx:xx:xx:xx)");
            if (!isUnicastMac(mac)) {
                throw invalid("mac", "a unicast MAC in lowercase (xx:xx:xx:xx:xx:xx)");
            }
            String address = required(request, "address", 18, "an IPv4 address with a prefix of 1-32 (a.b.c.d/n)");
            if (!isCidr(address)) {
                throw invalid("address", "an IPv4 address with a prefix of 1-32 (a.b.c.d/n)");
            }
            String gateway = required(request, "gateway", 15, "an IPv4 address");
            if (!isIpv4(gateway)) {
                throw invalid("gateway", "an IPv4 address");
            }
            String dns = required(request, "dns", 15, "an IPv4 address");
            if (!isIpv4(dns)) {
                throw invalid("dns", "an IPv4 address");
            }
            String token = request.string("token", null);
            if (token != null && !isToken(token)) {
                throw invalid("token", "16-128 of A-Z, a-z, 0-9, '_', '-' (or absent: no token)");
            }
            String machineId = required(request, "machine_id", 32, "32 lowercase hex digits, not all zero");
            if (!isMachineId(machineId)) {
                throw invalid("machine_id", "32 lowercase hex digits, not all zero");
            }
            String hostKey = required(request, "host_key", MAX_HOST_KEY_CHARS, "an OpenSSH private key of at most "
                    + MAX_HOST_KEY_CHARS + " characters");
            if (!isPrivateKey(hostKey)) {
                throw invalid("host_key", "an OpenSSH private key (" + KEY_BEGIN + " ... " + KEY_END + ", printable ASCII lines)");
            }
            String hostKeyPub = required(request, "host_key_pub", MAX_PUBLIC_KEY_CHARS, "one line: ssh-ed25519 BASE64 [COMMENT]");
            if (hostKeyPub.endsWith("\n")) {
                hostKeyPub = hostKeyPub.substring(0, hostKeyPub.length() - 1); // the file's own newline, as the drive's has it
            }
            if (!isEd25519PublicKey(hostKeyPub)) {
                throw invalid("host_key_pub", "one line: ssh-ed25519 BASE64 [COMMENT of A-Z, a-z, 0-9, '@._-']");
            }
            byte[] entropy = entropy(request); // last: nothing to wipe when another value is refused
            return new Asked(entropy, time, hostname, mac, address, gateway, dns, token, machineId, hostKey, hostKeyPub);
        }

        private static byte[] entropy(Request request) {
            String text = request.string("entropy", null);
            if (text == null) {
                throw new IllegalArgumentException("'entropy' is required: " + MIN_ENTROPY_BYTES + " to " + MAX_ENTROPY_BYTES
                        + " random bytes in base64");
            }
            if (text.length() > MAX_ENTROPY_TEXT) {
                throw new IllegalArgumentException("'entropy' must be " + MIN_ENTROPY_BYTES + " to " + MAX_ENTROPY_BYTES
                        + " bytes in base64 (at most " + MAX_ENTROPY_TEXT + " characters), not " + text.length() + " characters");
            }
            byte[] entropy;
            try {
                entropy = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'entropy' is not base64: " + e.getMessage());
            }
            if (entropy.length < MIN_ENTROPY_BYTES || entropy.length > MAX_ENTROPY_BYTES) { // 513 bytes fit 684 characters too
                Arrays.fill(entropy, (byte) 0);
                throw new IllegalArgumentException("'entropy' must be " + MIN_ENTROPY_BYTES + " to " + MAX_ENTROPY_BYTES
                        + " bytes, not " + entropy.length);
            }
            return entropy;
        }

        private static String required(Request request, String key, int maxChars, String what) {
            String v = request.string(key, null);
            if (v == null) {
                throw new IllegalArgumentException("'" + key + "' is required: " + what);
            }
            if (v.length() > maxChars) {
                throw new IllegalArgumentException("'" + key + "' must be " + what + ", not " + v.length() + " characters");
            }
            return v;
        }

        private static IllegalArgumentException invalid(String key, String what) {
            return new IllegalArgumentException("'" + key + "' must be " + what); // the value is not quoted: a key is secret
        }
    }

    // The checks are apply-config's (and GuestConfig's, which made the values), by hand: loops over a short
    // string, no regex to compile on the way to a restored guest's first answer.

    /** A DNS label: 1-63 of a-z, 0-9, '-', no '-' at either end. */
    static boolean isLabel(String s) {
        if (s.isEmpty() || s.length() > 63 || s.charAt(0) == '-' || s.charAt(s.length() - 1) == '-') {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** xx:xx:xx:xx:xx:xx in lowercase hex, not a group address (the kernel refuses one for a NIC) and not all zero. */
    static boolean isUnicastMac(String s) {
        if (s.length() != 17) {
            return false;
        }
        boolean zero = true;
        for (int i = 0; i < 17; i++) {
            char c = s.charAt(i);
            if (i % 3 == 2 ? c != ':' : !isLowerHex(c)) {
                return false;
            }
            zero &= c == ':' || c == '0';
        }
        return !zero && (Character.digit(s.charAt(1), 16) & 1) == 0;
    }

    /** Four decimal octets 0-255, no leading zero (apply-config's is_ipv4). */
    static boolean isIpv4(String s) {
        int octets = 0;
        int start = 0;
        while (true) {
            int dot = s.indexOf('.', start);
            int end = dot < 0 ? s.length() : dot;
            if (!isDecimal(s, start, end, 3) || Integer.parseInt(s, start, end, 10) > 255) {
                return false;
            }
            octets++;
            if (dot < 0) {
                return octets == 4;
            }
            if (octets == 4) {
                return false;
            }
            start = dot + 1;
        }
    }

    /** An IPv4 address, '/', a prefix of 1-32 without a leading zero (apply-config's is_cidr). */
    static boolean isCidr(String s) {
        int slash = s.indexOf('/');
        if (slash < 0 || !isIpv4(s.substring(0, slash)) || !isDecimal(s, slash + 1, s.length(), 2)) {
            return false;
        }
        int prefix = Integer.parseInt(s, slash + 1, s.length(), 10);
        return prefix >= 1 && prefix <= 32;
    }

    /** The agent token as the host makes it (GuestConfig): 16-128 of A-Z, a-z, 0-9, '_', '-'. */
    static boolean isToken(String s) {
        if (s.length() < 16 || s.length() > 128) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** 32 lowercase hex digits, not all zero (systemd takes an all-zero id for none). */
    static boolean isMachineId(String s) {
        if (s.length() != 32) {
            return false;
        }
        boolean zero = true;
        for (int i = 0; i < 32; i++) {
            char c = s.charAt(i);
            if (!isLowerHex(c)) {
                return false;
            }
            zero &= c == '0';
        }
        return !zero;
    }

    /**
     * An OpenSSH private key's text: its BEGIN line first, its END line last (a newline after it or not), at most
     * {@link #MAX_HOST_KEY_CHARS}, and nothing but printable ASCII and newlines (so no NUL, no CR).
     */
    static boolean isPrivateKey(String s) {
        if (s.length() > MAX_HOST_KEY_CHARS || !s.startsWith(KEY_BEGIN + "\n")) {
            return false;
        }
        String body = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        if (!body.endsWith("\n" + KEY_END)) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\n' && (c < 0x20 || c > 0x7e)) {
                return false;
            }
        }
        return true;
    }

    /** {@code ssh-ed25519 BASE64[ COMMENT]}, one line, the comment of A-Z, a-z, 0-9, '@', '.', '_', '-' (GuestConfig's). */
    static boolean isEd25519PublicKey(String s) {
        String type = "ssh-ed25519 ";
        if (s.length() > MAX_PUBLIC_KEY_CHARS || !s.startsWith(type)) {
            return false;
        }
        int space = s.indexOf(' ', type.length());
        int end = space < 0 ? s.length() : space;
        if (end == type.length()) {
            return false;
        }
        for (int i = type.length(); i < end; i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=')) {
                return false;
            }
        }
        if (space < 0) {
            return true;
        }
        if (space == s.length() - 1) {
            return false;
        }
        for (int i = space + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '@' || c == '.' || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLowerHex(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f';
    }

    /** s[from, to) is 1 to maxDigits decimal digits without a leading zero ("0" itself is one). */
    private static boolean isDecimal(String s, int from, int to, int maxDigits) {
        int n = to - from;
        if (n < 1 || n > maxDigits || n > 1 && s.charAt(from) == '0') {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** A NIC's name as the network step takes it: 1-15 of A-Z, a-z, 0-9, '_', '.', '-', not starting with '.' or '-'. */
    static boolean isNicName(String s) {
        if (s.isEmpty() || s.length() > 15 || s.charAt(0) == '.' || s.charAt(0) == '-') {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /**
     * The lines of the network step's {@code ip -4 -batch} file for {@code nic}. ip stops at the first line that
     * fails (no {@code -force}), and says which.
     *
     * <p>The parent's IPv4 addresses go first, so nothing of the parent's is on the link once it has the child's
     * MAC. The link goes down and up around the MAC: virtio-net would take the new MAC on a running link (its
     * driver sets IFF_LIVE_ADDR_CHANGE unconditionally, and pushes the MAC to the device with
     * VIRTIO_NET_CTRL_MAC_ADDR_SET when QEMU offers it; Firecracker's tap does not filter by MAC), but a MAC change
     * alone leaves the IPv6 link-local address made from the parent's MAC, which down (addresses dropped) and up
     * (made again from the new MAC) renew, as the script did; two more netlink messages, no more programs. Up comes
     * before the address and the route: the kernel adds an address's prefix route only on a running link, and
     * refuses a route through one that is down (ENETDOWN). The neighbour table is flushed last: no ARP entry of
     * the parent's stays (the MAC change flushes the NIC's own; this takes any other's).
     */
    static List<String> batch(String nic, Asked asked) {
        return List.of(
                "address flush dev " + nic,
                "link set dev " + nic + " down",
                "link set dev " + nic + " address " + asked.mac(),
                "link set dev " + nic + " up",
                "address add " + asked.address() + " dev " + nic,
                "route replace default via " + asked.gateway() + " dev " + nic,
                "neigh flush all");
    }

    /**
     * /etc/hosts as apply-config writes it: every line of {@code current} (null: none) kept, in order, but those
     * that name 127.0.1.1 (that address, then a blank), then {@code 127.0.1.1<TAB>hostname}; newline-terminated.
     */
    static String hosts(String current, String hostname) {
        StringBuilder sb = new StringBuilder();
        if (current != null && !current.isEmpty()) {
            int start = 0;
            while (start < current.length()) {
                int nl = current.indexOf('\n', start);
                int end = nl < 0 ? current.length() : nl;
                String line = current.substring(start, end);
                if (!(line.startsWith("127.0.1.1") && line.length() > 9 && Character.isWhitespace(line.charAt(9)))) {
                    sb.append(line).append('\n');
                }
                start = end + 1;
            }
        }
        return sb.append("127.0.1.1\t").append(hostname).append('\n').toString();
    }

    /** /etc/resolv.conf for {@code dns}, as apply-config writes it (its first line aside). */
    static String resolvConf(String dns) {
        return "# written by banger (apply-config at boot, the agent's identity op after a restore)\nnameserver " + dns + "\n";
    }

    /** The nameservers {@code resolvConf} names, in order ({@code nameserver ADDRESS} lines). */
    static List<String> nameservers(String resolvConf) {
        List<String> servers = new ArrayList<>();
        for (String line : resolvConf.split("\n")) {
            String l = line.strip();
            if (l.startsWith("nameserver") && l.length() > 10 && Character.isWhitespace(l.charAt(10))) {
                servers.add(l.substring(10).strip());
            }
        }
        return servers;
    }

    /**
     * A valid request of made-up values (no key, token or id of any VM's), for what runs the op's code without
     * its effects: the warm-up ({@link IdentitySteps#warm}) and the image build's training run.
     */
    static final String STAND_IN_REQUEST = "{\"op\":\"identity\",\"entropy\":\"" + "A".repeat(44) + "\",\"time_ns\":1,"
            + "\"hostname\":\"stand-in\",\"mac\":\"02:00:00:00:00:01\",\"address\":\"10.0.0.2/24\",\"gateway\":\"10.0.0.1\","
            + "\"dns\":\"10.0.0.1\",\"token\":\"stand-in-token-0123\",\"machine_id\":\"0123456789abcdef0123456789abcdef\","
            + "\"host_key\":\"" + KEY_BEGIN + "\\nAAAA\\n" + KEY_END + "\\n\",\"host_key_pub\":\"ssh-ed25519 AAAA stand-in\"}";

    /** One re-identification at a time: two would interleave their changes to the NIC and the files. */
    private static final ReentrantLock ONE_AT_A_TIME = new ReentrantLock();

    private Identity() {
    }

    /**
     * The answer to {@code request}: checked first (nothing is done for a bad one), then the five steps in
     * order. A step that fails is an error that says what was done before it, and stops the later ones.
     */
    static Map<String, Object> answer(Request request, Steps steps) {
        Asked asked;
        try {
            asked = Asked.of(request);
        } catch (IllegalArgumentException e) {
            return Service.error(e.getMessage());
        }
        ONE_AT_A_TIME.lock();
        try {
            return run(asked, steps);
        } finally {
            Arrays.fill(asked.entropy(), (byte) 0);
            ONE_AT_A_TIME.unlock();
        }
    }

    private static Map<String, Object> run(Asked asked, Steps steps) {
        Map<String, Object> ms = new LinkedHashMap<>();
        long t = System.nanoTime();
        boolean reseeded;
        try {
            reseeded = steps.reseed(asked.entropy());
        } catch (IOException | RuntimeException e) {
            return failed("cannot add the host's entropy to the kernel's pool", e, "nothing");
        } finally {
            Arrays.fill(asked.entropy(), (byte) 0);
        }
        t = lap(ms, "rng", t);
        String done = "the entropy was added (reseeded: " + reseeded + ")";
        long correction;
        try {
            correction = steps.setClock(asked.timeNanos()) / 1_000_000;
        } catch (IOException | RuntimeException e) {
            return failed("cannot set the clock", e, done);
        }
        t = lap(ms, "clock", t);
        done += ", the clock was corrected by " + correction + " ms";
        Networked net;
        try {
            net = steps.network(asked);
        } catch (IOException | RuntimeException e) {
            return failed("cannot re-address the network", e, done);
        }
        t = lap(ms, "network", t);
        done += ", ip -batch on " + net.nic() + " exited " + net.status();
        try {
            steps.files(asked);
        } catch (IOException | RuntimeException e) {
            return failed("cannot write the guest's files", e, done);
        }
        t = lap(ms, "files", t);
        done += ", the files were written";
        String sshd;
        try {
            sshd = steps.reloadSshd();
        } catch (IOException | RuntimeException e) {
            return failed("cannot reload sshd", e, done);
        }
        lap(ms, "sshd", t);
        System.err.println("banger-agent: identity: " + done + ", sshd " + sshd + "; ms " + ms);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("reseeded", reseeded);
        result.put("clock_corrected_ms", correction);
        result.put("nic", net.nic());
        result.put("network_status", net.status());
        result.put("sshd", sshd);
        result.put("ms", ms);
        result.put("log", net.log());
        return Service.ok(result);
    }

    private static long lap(Map<String, Object> ms, String step, long since) {
        long now = System.nanoTime();
        ms.put(step, (now - since) / 1_000_000);
        return now;
    }

    private static Map<String, Object> failed(String what, Exception e, String done) {
        String message = what + " (" + e.getMessage() + "); done before: " + done + "; nothing after it";
        System.err.println("banger-agent: identity: " + message);
        return Service.error(message);
    }
}
