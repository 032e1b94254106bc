package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.api.VmRecord;
import dev.banger.api.VmSpec;
import dev.banger.core.NewVm;
import dev.banger.core.StatePaths;
import dev.banger.host.vm.VmHandles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmHandleCacheTest {
    @TempDir
    Path home;

    private VmRecord vm(String id) throws Exception {
        StatePaths paths = StatePaths.forHome(home);
        VmRecord vm = NewVm.record(id, new VmSpec("vm-" + id.substring(8), "img", 1, 512, 0, 4096, "qemu"), paths, "172.29.0.2", 3, Instant.EPOCH);
        Files.createDirectories(Path.of(vm.runtime().vmDir()));
        return vm;
    }

    private static Path file(VmRecord vm) {
        return Path.of(vm.runtime().vmDir()).resolve("handles.json");
    }

    @Test
    void handlesRoundTripThroughTheScratchFile() throws Exception {
        VmRecord vm = vm("0123456789ab");
        VmHandleCache cache = new VmHandleCache();
        VmHandles h = VmHandles.NONE.withTap("bgr0123456789ab").withPid(4242);
        cache.put(vm, h);
        assertThat(cache.get(vm.id())).contains(h);
        assertThat(new VmHandleCache().load(vm)).as("a new daemon reads what the old one wrote").isEqualTo(h);
        cache.remove(vm);
        assertThat(file(vm)).doesNotExist();
        assertThat(cache.get(vm.id())).isEmpty();
        assertThat(cache.load(vm)).isEqualTo(VmHandles.NONE);
    }

    @Test
    void missingAndCorruptFilesMeanNoHandlesAndNeverThrow() throws Exception {
        VmRecord vm = vm("0123456789ab");
        VmHandleCache cache = new VmHandleCache();
        assertThat(cache.load(vm)).isEqualTo(VmHandles.NONE);
        for (String corrupt : List.of("", "{", "{\"vmm_pid\":12,\"tap\":\"eth0\"}", "\u0000\u0001\u0002", "{\"vmm_pid\":-5}")) {
            Files.writeString(file(vm), corrupt);
            assertThat(cache.load(vm)).as("%s", corrupt).isEqualTo(VmHandles.NONE);
        }
        Files.write(file(vm), new byte[] {(byte) 0xff, (byte) 0xfe, '{', '}'});
        assertThat(cache.load(vm)).as("not UTF-8").isEqualTo(VmHandles.NONE);
        Files.writeString(file(vm), "{\"vmm_pid\":1}" + " ".repeat(100_000));
        assertThat(cache.load(vm)).as("oversized").isEqualTo(VmHandles.NONE);
    }

    @Test
    void concurrentWritersAndReadersNeverSeeAHalfWrittenFile() throws Exception {
        VmRecord vm = vm("0123456789ab");
        VmHandleCache cache = new VmHandleCache();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            threads.add(Thread.ofPlatform().start(() -> {
                await(go);
                for (int i = 1; i <= 200; i++) {
                    cache.put(vm, VmHandles.NONE.withTap("bgr0123456789ab").withPid(writer * 1000 + i));
                }
            }));
        }
        for (int r = 0; r < 4; r++) {
            threads.add(Thread.ofPlatform().start(() -> {
                await(go);
                for (int i = 0; i < 400; i++) {
                    VmHandles seen = new VmHandleCache().load(vm);
                    if (!seen.isEmpty() && !"bgr0123456789ab".equals(seen.tap())) {
                        problems.add("read " + seen);
                    }
                    cache.get(vm.id()).filter(h -> h.vmmPid() <= 0).ifPresent(h -> problems.add("cached " + h));
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(problems).isEmpty();
        VmHandles last = cache.load(vm);
        assertThat(last.tap()).isEqualTo("bgr0123456789ab");
        assertThat(last.vmmPid() % 1000).as("some writer's last value").isEqualTo(200);
        try (var leftovers = Files.list(Path.of(vm.runtime().vmDir()))) {
            assertThat(leftovers.map(p -> p.getFileName().toString())).as("no temp files left").containsExactly("handles.json");
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
