package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Parallel vm.create over raw sockets, one connection per request, released together: allocation of
 * names, guest addresses and vsock CIDs must be race-free.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConcurrencyIT {
    private BangerHome home;

    @BeforeEach
    void startDaemon() {
        home = BangerHome.create();
        home.startDaemon();
        home.importPlaceholderImage();
    }

    @AfterEach
    void cleanUp() {
        home.close();
    }

    @Test
    void fiftyParallelCreatesGetDistinctAddressesAndCids() throws Exception {
        List<JsonNode> replies = inParallel(50, i -> "{\"name\":\"par-" + i + "\"}");

        assertThat(replies).allSatisfy(r -> assertThat(r.has("result")).as("%s", r).isTrue());
        JsonNode list;
        try (RpcConnection c = home.connect()) {
            list = c.call("vm.list", null).get("result").get("vms");
        }
        assertThat(list).hasSize(50);
        Set<String> names = new HashSet<>();
        Set<String> ips = new HashSet<>();
        Set<Long> cids = new HashSet<>();
        Set<String> ids = new HashSet<>();
        for (JsonNode vm : list) {
            names.add(vm.at("/spec/name").asText());
            ips.add(vm.at("/runtime/guest_ip").asText());
            cids.add(vm.at("/runtime/vsock_cid").asLong());
            ids.add(vm.get("id").asText());
        }
        assertThat(names).hasSize(50).allMatch(n -> n.matches("par-\\d+"));
        assertThat(ips).as("guest_ip values").hasSize(50).allMatch(ip -> ip.startsWith("172.29.0."));
        assertThat(cids).as("vsock_cid values").hasSize(50).allMatch(cid -> cid >= 3);
        assertThat(ids).hasSize(50);
        // The CLI sees the same 50.
        assertThat(home.ok("vm", "list", "--json").json().get("vms")).hasSize(50);
    }

    @Test
    void twentyParallelCreatesOfOneNameYieldExactlyOneVm() throws Exception {
        List<JsonNode> replies = inParallel(20, i -> "{\"name\":\"contested\"}");

        List<JsonNode> successes = replies.stream().filter(r -> r.has("result")).toList();
        List<JsonNode> failures = replies.stream().filter(r -> r.has("error")).toList();
        assertThat(successes).as("successful creates").hasSize(1);
        assertThat(failures).as("failed creates").hasSize(19).allSatisfy(f -> {
            assertThat(f.at("/error/message").asText()).contains("name taken");
            assertThat(f.at("/error/code").asInt()).isEqualTo(-32012);
        });
        try (RpcConnection c = home.connect()) {
            JsonNode vms = c.call("vm.list", null).at("/result/vms");
            assertThat(vms).hasSize(1);
            assertThat(vms.get(0).get("id")).isEqualTo(successes.getFirst().at("/result/id"));
        }
    }

    /** Sends {@code n} vm.create requests at once, each on its own connection and platform thread. */
    private List<JsonNode> inParallel(int n, IntFunction<String> params) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n, Thread.ofPlatform().name("create-", 0).factory());
        try {
            CountDownLatch connected = new CountDownLatch(n);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<JsonNode>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                Callable<JsonNode> task = () -> {
                    try (RpcConnection c = home.connect()) {
                        connected.countDown();
                        if (!go.await(30, TimeUnit.SECONDS)) {
                            throw new AssertionError("start signal never came");
                        }
                        return c.call("vm.create", params.apply(index));
                    }
                };
                futures.add(pool.submit(task));
            }
            assertThat(connected.await(30, TimeUnit.SECONDS)).as("all %d clients connected", n).isTrue();
            go.countDown();
            List<JsonNode> replies = new ArrayList<>();
            for (Future<JsonNode> f : futures) {
                replies.add(f.get(60, TimeUnit.SECONDS));
            }
            return replies;
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }
}
