package dev.banger.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Published ports, in bench/run.sh's network namespace (this JVM runs in it, where the daemon and the bridge are): 1,000
 * sequential HTTP/1.0 requests, each on a new connection and read to its end, to a busybox httpd in one VM, by four
 * ways side by side, interleaved in rounds of {@link #ROUND} so that each pays the same for the host's moods:
 * <ul>
 *   <li>directly to {@code GUEST_IP:8001} over the bridge: the baseline;</li>
 *   <li>a published port {@code 127.0.0.1:18080 -> 8001}: banger's forwarder, which takes the direct path to the guest;</li>
 *   <li>a published port {@code 127.0.0.1:18081 -> 8000}, where httpd listens on the guest's loopback only: the forwarder
 *       carries it through the guest agent;</li>
 *   <li>an nftables DNAT rule made here by hand ({@code BRIDGE_IP:18082 -> GUEST_IP:8001}): the kernel-only mechanism that
 *       was weighed against the forwarder. It cannot reach the guest's loopback, and DNAT from 127.0.0.1 would also need
 *       route_localnet and a source rewrite, so it is measured on the bridge's address.</li>
 * </ul>
 */
final class PublishBench {
    private static final int REQUESTS = Integer.getInteger("bench.httpRequests", 1000);
    private static final int ROUND = 100;
    private static final int WARM_UP = 100;
    private static final String TABLE = "banger_bench_dnat";

    private final VmBench vm;
    private final List<String[]> rows;

    PublishBench(VmBench vm, List<String[]> rows) {
        this.vm = vm;
        this.rows = rows;
    }

    void run() throws Exception {
        try {
            vm.importImage();
            vm.cli("vm", "run", "--name", "pub", "-p", "18080:8001", "-p", "18081:8000", "--", "true");
            vm.cli("vm", "exec", "pub", "--", "sh", "-c", "mkdir -p /srv/www && head -c 1024 /dev/zero | tr '\\0' x > /srv/www/index.html"
                    + " && busybox httpd -p 0.0.0.0:8001 -h /srv/www && busybox httpd -p 127.0.0.1:8000 -h /srv/www");
            JsonNode pub = vm.show("pub");
            String guest = pub.at("/runtime/guest_ip").asText();
            String bridge = guest.substring(0, guest.lastIndexOf('.')) + ".1";
            dnat(bridge, guest);
            Map<String, InetSocketAddress> ways = new LinkedHashMap<>();
            ways.put("direct to NAME.vm:8001 (the guest's address, over the bridge)", new InetSocketAddress(guest, 8001));
            ways.put("published 127.0.0.1:18080 -> 8001 (banger's forwarder, direct path)", new InetSocketAddress("127.0.0.1", 18080));
            ways.put("published 127.0.0.1:18081 -> 8000 on the guest's loopback (through the agent)", new InetSocketAddress("127.0.0.1", 18081));
            ways.put("nftables DNAT by hand, " + bridge + ":18082 -> 8001", new InetSocketAddress(bridge, 18082));
            Map<String, Long> nanos = new LinkedHashMap<>();
            for (Map.Entry<String, InetSocketAddress> w : ways.entrySet()) {
                requests(w.getValue(), WARM_UP);
                nanos.put(w.getKey(), 0L);
            }
            for (int done = 0; done < REQUESTS; done += ROUND) {
                for (Map.Entry<String, InetSocketAddress> w : ways.entrySet()) {
                    nanos.merge(w.getKey(), requests(w.getValue(), ROUND), Long::sum);
                }
            }
            double base = nanos.values().iterator().next() / (double) REQUESTS;
            for (Map.Entry<String, Long> e : nanos.entrySet()) {
                double per = e.getValue() / (double) REQUESTS;
                String note = per == base ? "baseline" : String.format("ratio %.2f to direct", per / base);
                rows.add(new String[] {REQUESTS + " sequential HTTP requests, " + e.getKey(),
                        String.format("%.2f ms each (%.1f s)", per / 1e6, e.getValue() / 1e9), note});
            }
            rows.add(new String[] {"target: published (direct path) / direct", "", "<= 1.3"});
        } finally {
            try {
                Bench.run(vm.env, "nft", "delete", "table", "ip", TABLE);
            } catch (Exception e) {
                // never made
            }
            vm.cleanUp();
        }
    }

    /** The DNAT rule by hand: locally made connections to BRIDGE:18082 go to GUEST:8001. */
    private void dnat(String bridge, String guest) throws Exception {
        Bench.run(vm.env, "nft", "add", "table", "ip", TABLE);
        Bench.run(vm.env, "nft", "add", "chain", "ip", TABLE, "out", "{ type nat hook output priority -100; }");
        Bench.run(vm.env, "nft", "add", "rule", "ip", TABLE, "out", "ip", "daddr", bridge, "tcp", "dport", "18082",
                "dnat", "to", guest + ":8001");
    }

    /** {@code n} requests one after another, each on a new connection; the time they took. */
    private static long requests(InetSocketAddress to, int n) throws IOException {
        byte[] request = "GET /index.html HTTP/1.0\r\nHost: bench\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] buf = new byte[8192];
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            try (Socket s = new Socket()) {
                s.setTcpNoDelay(true);
                s.setSoTimeout(10_000);
                s.connect(to, 10_000);
                OutputStream out = s.getOutputStream();
                out.write(request);
                out.flush();
                InputStream in = s.getInputStream();
                int total = 0;
                int r;
                while ((r = in.read(buf)) >= 0) {
                    total += r;
                }
                if (total < 1024) {
                    throw new IllegalStateException("a short answer (" + total + " bytes) from " + to);
                }
            }
        }
        return System.nanoTime() - t0;
    }
}
