package dev.banger.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.api.VmRuntime;
import dev.banger.api.VmSpec;
import dev.banger.api.VmState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmStoreTest {
    @TempDir
    Path dir;

    private Database db;
    private VmStore store;

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("state.db"));
        store = db.vms();
    }

    @AfterEach
    void close() {
        db.close();
    }

    private static BangerException codeIs(Throwable t, ErrorCode code) {
        assertThat(t).isInstanceOf(BangerException.class);
        BangerException e = (BangerException) t;
        assertThat(e.code()).isEqualTo(code);
        return e;
    }

    @Test
    void everyFieldRoundTrips() {
        VmRecord vm = VmFixtures.everyFieldSet();
        store.insert(vm);
        VmRecord back = store.findById(vm.id()).orElseThrow();
        assertThat(back).isEqualTo(vm);
        // Field by field too, so a failure says which one.
        assertThat(back.id()).isEqualTo("fedcba987654");
        assertThat(back.spec()).isEqualTo(new VmSpec("full-house", "ubuntu-24.04", 32, 65_536, 20_480, 16L * 1024 * 1024, "firecracker"));
        assertThat(back.runtime().state()).isEqualTo(VmState.ERROR);
        assertThat(back.runtime().guestIp()).isEqualTo("172.29.0.254");
        assertThat(back.runtime().apiSockPath()).isEqualTo("/a/api.sock");
        assertThat(back.runtime().vsockPath()).isEqualTo("/a/vsock.sock");
        assertThat(back.runtime().vsockCid()).isEqualTo(0xFFFF_FFFEL);
        assertThat(back.runtime().logPath()).isEqualTo("/a/console.log");
        assertThat(back.runtime().metricsPath()).isEqualTo("/a/metrics.json");
        assertThat(back.runtime().dnsName()).isEqualTo("full-house.vm");
        assertThat(back.runtime().vmDir()).isEqualTo("/a");
        assertThat(back.runtime().systemOverlay()).isEqualTo("/a/root.qcow2");
        assertThat(back.runtime().workDiskPath()).isEqualTo("/a/work.img");
        assertThat(back.runtime().lastError()).isEqualTo(vm.runtime().lastError()).contains("\u2014").contains("\n");
        assertThat(back.createdAt()).isEqualTo(Instant.parse("2024-12-31T23:59:59.999999999Z"));
        assertThat(back.updatedAt()).isEqualTo(Instant.parse("2025-01-01T00:00:00Z"));
    }

    @Test
    void mountsRoundTripInOrderAndGoWithTheirVm() {
        VmRecord vm = VmFixtures.everyFieldSet().withMounts(java.util.List.of(
                new dev.banger.api.HostMount("/home/u/src", "/src", false, 1000, 1000),
                new dev.banger.api.HostMount("/srv/data", "/mnt/data", true, 65534, 65534)));
        store.insert(vm);
        assertThat(store.findById(vm.id()).orElseThrow().mounts()).isEqualTo(vm.mounts());
        assertThat(store.list()).singleElement().satisfies(v -> assertThat(v.mounts()).isEqualTo(vm.mounts()));
        store.delete(vm.id());
        store.insert(vm.withMounts(java.util.List.of()));
        assertThat(store.findById(vm.id()).orElseThrow().mounts()).as("none left by the delete").isEmpty();
    }

    @Test
    void aNewVmRecordRoundTripsWithNulls() {
        VmRecord vm = VmFixtures.vm(0, "fresh");
        assertThat(vm.runtime().lastError()).isNull();
        store.insert(vm);
        assertThat(store.findById(vm.id())).contains(vm);
        assertThat(store.findByName("fresh")).contains(vm);
    }

    @Test
    void aNullGuestAddressRoundTripsAndManyMayLackOne() {
        VmRecord a = withIp(VmFixtures.vm(1, "a"), null);
        VmRecord b = withIp(VmFixtures.vm(2, "b"), null);
        store.insert(a);
        store.insert(b);
        assertThat(store.findById(a.id()).orElseThrow().runtime().guestIp()).isNull();
        assertThat(store.guestIps()).isEmpty();
        assertThat(store.count()).isEqualTo(2);
    }

    private static VmRecord withIp(VmRecord vm, String ip) {
        VmRuntime r = vm.runtime();
        return new VmRecord(vm.id(), vm.spec(), new VmRuntime(r.state(), ip, r.apiSockPath(), r.vsockPath(), r.vsockCid(),
                r.logPath(), r.metricsPath(), r.dnsName(), r.vmDir(), r.systemOverlay(), r.workDiskPath(), r.lastError()),
                vm.createdAt(), vm.updatedAt());
    }

    @Test
    void findMissesAreEmpty() {
        store.insert(VmFixtures.vm(1, "present"));
        assertThat(store.findById("000000000000")).isEmpty();
        assertThat(store.findByName("absent")).isEmpty();
        // Lookups are exact: no case folding, no prefix match, no id-as-name.
        assertThat(store.findByName("PRESENT")).isEmpty();
        assertThat(store.findByName("pres")).isEmpty();
        assertThat(store.findByName(VmFixtures.vm(1, "present").id())).isEmpty();
        assertThat(store.findById("present")).isEmpty();
    }

    @Test
    void listIsOrderedByName() {
        List<String> names = new ArrayList<>(List.of("zebra", "alpha", "m-1", "m-10", "m-2", "0day", "beta"));
        Collections.shuffle(names, new Random(7));
        for (int i = 0; i < names.size(); i++) {
            store.insert(VmFixtures.vm(i, names.get(i)));
        }
        assertThat(store.list()).extracting(VmRecord::name)
                .containsExactly("0day", "alpha", "beta", "m-1", "m-10", "m-2", "zebra");
        assertThat(store.count()).isEqualTo(7);
    }

    @Test
    void listOfAnEmptyStore() {
        assertThat(store.list()).isEmpty();
        assertThat(store.count()).isZero();
        assertThat(store.guestIps()).isEmpty();
        assertThat(store.vsockCids()).isEmpty();
    }

    @Test
    void listReturnsFullRecords() {
        VmRecord full = VmFixtures.everyFieldSet();
        store.insert(full);
        store.insert(VmFixtures.vm(1, "another"));
        assertThat(store.list()).containsExactly(VmFixtures.vm(1, "another"), full);
    }

    @Test
    void updateRuntimeReplacesRuntimeAndUpdatedTimeOnly() {
        VmRecord vm = VmFixtures.vm(5, "web");
        store.insert(vm);
        Instant later = vm.createdAt().plusSeconds(90).plusNanos(1);
        VmRuntime next = new VmRuntime(VmState.ERROR, "172.29.0.99", "/n/api.sock", "/n/vsock.sock", 999, "/n/log",
                "/n/metrics", "web2.vm", "/n", "/n/root.qcow2", "/n/work.img", "VMM exited with status 1");
        store.updateRuntime(vm.id(), next, later);

        VmRecord back = store.findById(vm.id()).orElseThrow();
        assertThat(back.runtime()).isEqualTo(next);
        assertThat(back.updatedAt()).isEqualTo(later);
        assertThat(back.createdAt()).isEqualTo(vm.createdAt());
        assertThat(back.spec()).isEqualTo(vm.spec());
        assertThat(back).isEqualTo(vm.withRuntime(next, later));
        assertThat(store.guestIps()).containsExactly("172.29.0.99");
        assertThat(store.vsockCids()).containsExactly(999L);
    }

    @Test
    void updateRuntimeCanClearTheLastError() {
        VmRecord vm = VmFixtures.everyFieldSet();
        store.insert(vm);
        store.updateRuntime(vm.id(), vm.runtime().withState(VmState.STOPPED, null), vm.updatedAt());
        VmRecord back = store.findById(vm.id()).orElseThrow();
        assertThat(back.state()).isEqualTo(VmState.STOPPED);
        assertThat(back.runtime().lastError()).isNull();
    }

    @Test
    void updateRuntimeOfAMissingVmIsNotFound() {
        VmRecord vm = VmFixtures.vm(1, "ghost");
        assertThatThrownBy(() -> store.updateRuntime(vm.id(), vm.runtime(), Instant.now()))
                .satisfies(t -> codeIs(t, ErrorCode.NOT_FOUND))
                .hasMessageContaining(vm.id());
        assertThat(store.count()).isZero();
    }

    @Test
    void updateTouchesOnlyTheNamedVm() {
        VmRecord a = VmFixtures.vm(1, "a");
        VmRecord b = VmFixtures.vm(2, "b");
        store.insert(a);
        store.insert(b);
        store.updateRuntime(a.id(), a.runtime().withState(VmState.RUNNING, null), Instant.EPOCH);
        assertThat(store.findById(b.id())).contains(b);
        assertThat(store.findById(a.id()).orElseThrow().state()).isEqualTo(VmState.RUNNING);
    }

    @Test
    void deleteRemovesOnlyThatVm() {
        VmRecord a = VmFixtures.vm(1, "a");
        VmRecord b = VmFixtures.vm(2, "b");
        store.insert(a);
        store.insert(b);
        assertThat(store.delete(a.id())).isTrue();
        assertThat(store.delete(a.id())).isFalse();
        assertThat(store.findById(a.id())).isEmpty();
        assertThat(store.findByName("a")).isEmpty();
        assertThat(store.findById(b.id())).contains(b);
        assertThat(store.count()).isEqualTo(1);
        assertThat(store.guestIps()).containsExactly(b.runtime().guestIp());
        assertThat(store.vsockCids()).containsExactly(b.runtime().vsockCid());
        assertThat(store.delete("000000000000")).isFalse();
    }

    @Test
    void aDeletedNameAndAddressCanBeReused() {
        VmRecord a = VmFixtures.vm(1, "reuse");
        store.insert(a);
        store.delete(a.id());
        VmRecord again = new VmRecord("bbbbbbbbbbbb", a.spec(), a.runtime(), a.createdAt(), a.updatedAt());
        store.insert(again);
        assertThat(store.findByName("reuse")).contains(again);
    }

    @Test
    void guestIpsAndCidsListEveryVm() {
        for (int i = 0; i < 5; i++) {
            store.insert(VmFixtures.vm(i, "vm-" + i));
        }
        assertThat(store.guestIps()).containsExactlyInAnyOrder("172.29.0.2", "172.29.0.3", "172.29.0.4", "172.29.0.5", "172.29.0.6");
        assertThat(store.vsockCids()).containsExactlyInAnyOrder(3L, 4L, 5L, 6L, 7L);
    }

    @Test
    void aTakenNameIsNameTaken() {
        VmRecord first = VmFixtures.vm(1, "web");
        store.insert(first);
        VmRecord second = VmFixtures.vm(2, "web");
        assertThatThrownBy(() -> store.insert(second))
                .satisfies(t -> codeIs(t, ErrorCode.NAME_TAKEN))
                .hasMessageContaining("a VM named 'web' already exists");
        assertThat(store.count()).isEqualTo(1);
        assertThat(store.findByName("web")).contains(first);
        assertThat(store.findById(second.id())).isEmpty();
    }

    @Test
    void aTakenAddressIsAnInternalCollisionNotNameTaken() {
        VmRecord first = VmFixtures.vm(1, "one");
        store.insert(first);
        VmRecord sameIp = withIp(VmFixtures.vm(2, "two"), first.runtime().guestIp());
        assertThatThrownBy(() -> store.insert(sameIp))
                .isInstanceOf(StoreException.class)
                .satisfies(t -> codeIs(t, ErrorCode.INTERNAL))
                .hasMessageContaining("collides with an existing record")
                .hasMessageContaining("guest_ip");
        assertThat(store.count()).isEqualTo(1);
    }

    @Test
    void aTakenIdIsAnInternalCollision() {
        VmRecord first = VmFixtures.vm(1, "one");
        store.insert(first);
        VmRecord sameId = new VmRecord(first.id(), VmFixtures.vm(2, "two").spec(), VmFixtures.vm(2, "two").runtime(),
                first.createdAt(), first.updatedAt());
        assertThatThrownBy(() -> store.insert(sameId))
                .isInstanceOf(StoreException.class)
                .satisfies(t -> codeIs(t, ErrorCode.INTERNAL))
                .hasMessageContaining("VM " + first.id() + " collides");
    }

    @Test
    void theSchemaChecksBackTheRules() {
        VmRecord vm = VmFixtures.vm(1, "many-cpus");
        VmSpec tooMany = new VmSpec("many-cpus", "img", 33, 512, 0, 4096, "qemu");
        assertThatThrownBy(() -> store.insert(new VmRecord(vm.id(), tooMany, vm.runtime(), vm.createdAt(), vm.updatedAt())))
                .isInstanceOf(StoreException.class);
        VmSpec tinyMemory = new VmSpec("many-cpus", "img", 1, 64, 0, 4096, "qemu");
        assertThatThrownBy(() -> store.insert(new VmRecord(vm.id(), tinyMemory, vm.runtime(), vm.createdAt(), vm.updatedAt())))
                .isInstanceOf(StoreException.class);
        assertThat(store.count()).isZero();
    }

    @Test
    void concurrentInsertsFromSixteenThreadsAllLand() throws Exception {
        int threads = 16;
        int perThread = 10;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < perThread; i++) {
                            int n = thread * perThread + i;
                            store.insert(VmFixtures.vm(n, "t" + thread + "-vm" + i));
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(failures).isEmpty();
        assertThat(store.count()).isEqualTo(threads * perThread);
        assertThat(store.list()).hasSize(threads * perThread).extracting(VmRecord::name).doesNotHaveDuplicates();
        assertThat(store.vsockCids()).hasSize(threads * perThread).doesNotHaveDuplicates();
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i++) {
                assertThat(store.findByName("t" + t + "-vm" + i)).contains(VmFixtures.vm(t * perThread + i, "t" + t + "-vm" + i));
            }
        }
    }

    @Test
    void concurrentInsertsOfOneNameLetExactlyOneWin() throws Exception {
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<ErrorCode>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                int n = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    try {
                        store.insert(VmFixtures.vm(n, "contested"));
                        return null;
                    } catch (BangerException e) {
                        return e.code();
                    }
                }));
            }
            start.countDown();
            List<ErrorCode> outcomes = new ArrayList<>();
            for (Future<ErrorCode> f : futures) {
                outcomes.add(f.get(60, TimeUnit.SECONDS));
            }
            assertThat(outcomes).filteredOn(c -> c == null).hasSize(1);
            assertThat(outcomes).filteredOn(c -> c != null).hasSize(threads - 1).containsOnly(ErrorCode.NAME_TAKEN);
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.count()).isEqualTo(1);
    }

    @Test
    void dataIsVisibleToASecondDatabaseOnTheSameFile() {
        VmRecord vm = VmFixtures.vm(3, "shared");
        store.insert(vm);
        try (Database other = Database.open(dir.resolve("state.db"))) {
            assertThat(other.vms().findByName("shared")).contains(vm);
        }
    }
}
