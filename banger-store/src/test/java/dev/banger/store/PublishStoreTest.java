package dev.banger.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.HostMount;
import dev.banger.api.PublishedPort;
import dev.banger.api.VmRecord;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Published ports and mounts in a real SQLite file: stored with their VM, one host port per protocol, gone with the VM. */
class PublishStoreTest {
    @TempDir
    Path dir;
    private Database db;

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("state.db"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    private static final PublishedPort WEB = new PublishedPort("127.0.0.1", 8080, 80, "tcp");
    private static final PublishedPort DNS = new PublishedPort("0.0.0.0", 5353, 53, "udp");

    @Test
    void aVmsPortsAndMountsAreStoredWithItAndReadBackInOrder() {
        HostMount src = new HostMount("/home/dev/src", "/src", false, 1000, 1000);
        HostMount data = new HostMount("/srv/data", "/data", true, 1000, 100);
        VmRecord vm = VmFixtures.vm(1, "web").withPublishes(List.of(WEB, DNS)).withMounts(List.of(src, data));
        db.vms().insert(vm);
        VmRecord read = db.vms().findByName("web").orElseThrow();
        assertThat(read.publishes()).containsExactlyInAnyOrder(WEB, DNS);
        assertThat(read.mounts()).containsExactly(src, data);
        assertThat(db.vms().list()).singleElement().satisfies(v -> assertThat(v.mounts()).containsExactly(src, data));
    }

    @Test
    void aHostPortBelongsToOneVmAndTheRefusalNamesTheHolderAndLeavesNoHalfMadeVm() {
        db.vms().insert(VmFixtures.vm(1, "web").withPublishes(List.of(WEB)));
        PublishedPort sameHostPort = new PublishedPort("0.0.0.0", 8080, 9000, "tcp");
        assertThatThrownBy(() -> db.vms().insert(VmFixtures.vm(2, "other").withPublishes(List.of(sameHostPort))))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
                .hasMessageContaining("host port 8080/tcp is already published by VM 'web'");
        assertThat(db.vms().findByName("other")).as("the VM's insert is one transaction").isEmpty();
        // Another protocol on the same number is another port.
        db.publishes().add(VmFixtures.vm(1, "web").id(), new PublishedPort("127.0.0.1", 8080, 80, "udp"), VmFixtures.T0);
        assertThat(db.publishes().all().get(VmFixtures.vm(1, "web").id())).hasSize(2);
    }

    @Test
    void removeAndDeleteFreeTheHostPort() {
        VmRecord web = VmFixtures.vm(1, "web").withPublishes(List.of(WEB, DNS)).withMounts(List.of(new HostMount("/a", "/a", false, 5, 5)));
        db.vms().insert(web);
        assertThat(db.publishes().remove(web.id(), WEB)).isTrue();
        assertThat(db.publishes().remove(web.id(), WEB)).isFalse();
        assertThat(db.publishes().holder("tcp", 8080)).isEmpty();
        assertThat(db.publishes().holder("udp", 5353)).contains("web");
        db.vms().delete(web.id());
        assertThat(db.publishes().all()).isEmpty();
        db.vms().insert(VmFixtures.vm(2, "next").withPublishes(List.of(DNS)).withMounts(List.of(new HostMount("/a", "/a", false, 5, 5))));
        assertThat(db.publishes().holder("udp", 5353)).contains("next");
    }
}
