package dev.banger.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseTest {
    @TempDir
    Path dir;

    private static List<String> columns(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA table_info(vms)")) {
            while (rs.next()) {
                out.add(rs.getString("name"));
            }
        }
        return out;
    }

    private static int userVersion(Path file) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
            return rs.getInt(1);
        }
    }

    @Test
    void aTransactionIsAllOrNothingAndItsOwnErrorIsTheOneThatPropagates() {
        try (Database db = Database.open(dir.resolve("state.db"))) {
            assertThatThrownBy(() -> db.transaction(c -> {
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("INSERT INTO vm_publishes (vm_id, protocol, host_ip, host_port, guest_port, created_at) "
                            + "VALUES ('a', 'tcp', '127.0.0.1', 8080, 80, 'now')");
                    s.executeUpdate("INSERT INTO no_such_table VALUES (1)");
                }
                return null;
            })).isInstanceOf(StoreException.class).hasMessageContaining("no_such_table");
            assertThat(db.publishes().all()).as("the first insert was rolled back").isEmpty();
            assertThat(db.call(Connection::getAutoCommit)).as("the connection is back in autocommit").isTrue();
            db.publishes().add("a", new dev.banger.api.PublishedPort("127.0.0.1", 8080, 80, "tcp"), java.time.Instant.EPOCH);
            assertThat(db.publishes().all()).hasSize(1);
        }
    }

    @Test
    void openCreatesTheLatestSchemaInWalMode() {
        Path file = dir.resolve("state.db");
        try (Database db = Database.open(file)) {
            assertThat(Files.isRegularFile(file)).isTrue();
            assertThat(db.file()).isEqualTo(file);
            assertThat(Migrations.LATEST).isEqualTo(11);
            assertThat(db.schemaVersion()).isEqualTo(Migrations.LATEST);
            String mode = db.call(c -> {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
                    return rs.getString(1);
                }
            });
            assertThat(mode).isEqualTo("wal");
            assertThat(db.call(DatabaseTest::columns)).containsExactly("id", "name", "image", "vcpus", "memory_mib",
                    "created_at", "updated_at", "state", "guest_ip", "api_sock_path", "vsock_path", "vsock_cid", "log_path",
                    "metrics_path", "dns_name", "vm_dir", "system_overlay", "work_disk_path", "last_error",
                    "root_disk_mib", "work_disk_mib", "vmm", "from_snapshot");
            assertThat(db.vms().count()).isZero();
        }
    }

    @Test
    void walModeIsPersistentInTheFile() throws SQLException {
        Path file = dir.resolve("state.db");
        Database.open(file).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
            assertThat(rs.getString(1)).isEqualTo("wal");
        }
        assertThat(userVersion(file)).isEqualTo(Migrations.LATEST);
    }

    @Test
    void foreignKeysAreEnforcedAndUntrustedSchemaIsOff() {
        try (Database db = Database.open(dir.resolve("state.db"))) {
            assertThat(db.<Integer>call(c -> {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA foreign_keys")) {
                    return rs.getInt(1);
                }
            })).isEqualTo(1);
            assertThat(db.<Integer>call(c -> {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA trusted_schema")) {
                    return rs.getInt(1);
                }
            })).isZero();
        }
    }

    @Test
    void reopeningKeepsDataAndVersion() {
        Path file = dir.resolve("state.db");
        VmRecord vm = VmFixtures.vm(1, "keeper");
        try (Database db = Database.open(file)) {
            db.vms().insert(vm);
        }
        try (Database db = Database.open(file)) {
            assertThat(db.schemaVersion()).isEqualTo(Migrations.LATEST);
            assertThat(db.vms().findById(vm.id())).contains(vm);
        }
    }

    @Test
    void openAtAnOldVersionBuildsThatSchema() {
        try (Database db = Database.open(dir.resolve("state.db"), 1)) {
            assertThat(db.schemaVersion()).isEqualTo(1);
            assertThat(db.call(DatabaseTest::columns)).contains("name", "vsock_cid")
                    .doesNotContain("root_disk_mib", "work_disk_mib");
        }
    }

    @Test
    void upgradeFromVersionOneKeepsRowsWithTheirImplicitDiskSizes() throws SQLException {
        Path file = dir.resolve("state.db");
        try (Database db = Database.open(file, 1)) {
            assertThat(db.schemaVersion()).isEqualTo(1);
        }
        // A row as a V1 banger wrote it, with plain JDBC: no disk size columns.
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.executeUpdate("""
                    INSERT INTO vms (id, name, image, vcpus, memory_mib, created_at, updated_at, state, guest_ip,
                        api_sock_path, vsock_path, vsock_cid, log_path, metrics_path, dns_name, vm_dir, system_overlay,
                        work_disk_path, last_error)
                    VALUES ('0123456789ab', 'old-timer', 'debian-bookworm', 2, 1024, '2024-06-01T10:00:00Z',
                        '2024-06-02T11:00:00.5Z', 'stopped', '172.29.0.9', '/v/api.sock', '/v/vsock.sock', 17,
                        '/v/console.log', '/v/metrics.json', 'old-timer.vm', '/v', '/v/root.qcow2', '/v/work.img', NULL)
                    """);
        }
        assertThat(userVersion(file)).isEqualTo(1);

        try (Database db = Database.open(file)) {
            assertThat(db.schemaVersion()).isEqualTo(Migrations.LATEST);
            assertThat(db.homeId()).as("V4 gives an upgraded database its identity").matches("[0-9a-f]{32}");
            VmRecord vm = db.vms().findByName("old-timer").orElseThrow();
            assertThat(vm.spec().vmm()).as("every VM before V3 ran on QEMU").isEqualTo("qemu");
            assertThat(vm.id()).isEqualTo("0123456789ab");
            assertThat(vm.spec().rootDiskMib()).isZero();
            assertThat(vm.spec().workDiskMib()).isEqualTo(4096);
            assertThat(vm.spec().vcpus()).isEqualTo(2);
            assertThat(vm.spec().memoryMib()).isEqualTo(1024);
            assertThat(vm.runtime().guestIp()).isEqualTo("172.29.0.9");
            assertThat(vm.runtime().vsockCid()).isEqualTo(17);
            assertThat(vm.updatedAt()).hasToString("2024-06-02T11:00:00.500Z");
            assertThat(db.vms().count()).isEqualTo(1);
            // The V2 index exists.
            assertThat(db.<Boolean>call(c -> {
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT 1 FROM sqlite_master WHERE type='index' AND name='vms_state'")) {
                    return rs.next();
                }
            })).isTrue();
        }
        assertThat(userVersion(file)).isEqualTo(Migrations.LATEST);
    }

    private static void makeNewerDatabase(Path file) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.executeUpdate("CREATE TABLE future (x)");
            s.executeUpdate("PRAGMA user_version = " + (Migrations.LATEST + 1));
        }
    }

    @Test
    void aDatabaseFromANewerBangerIsRefused() throws SQLException {
        Path file = dir.resolve("state.db");
        makeNewerDatabase(file);
        assertThatThrownBy(() -> Database.open(file))
                .isInstanceOf(StoreException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INTERNAL))
                .hasMessageContaining("schema version " + (Migrations.LATEST + 1))
                .hasMessageContaining("knows only up to " + Migrations.LATEST)
                .hasMessageContaining("written by a newer banger");
        // Refusing leaves the file as it was.
        assertThat(userVersion(file)).isEqualTo(Migrations.LATEST + 1);
    }

    private long openDescriptorsUnder(Path root) throws IOException {
        Path fds = Path.of("/proc/self/fd");
        try (Stream<Path> s = Files.list(fds)) {
            return s.filter(p -> {
                try {
                    return Files.readSymbolicLink(p).startsWith(root);
                } catch (IOException e) {
                    return false; // closed while listing
                }
            }).count();
        }
    }

    @Test
    void aRefusedOpenLeavesNoFileOpen() throws Exception {
        Path file = dir.resolve("state.db");
        makeNewerDatabase(file);
        long before = openDescriptorsUnder(dir);
        assertThatThrownBy(() -> Database.open(file)).isInstanceOf(StoreException.class);
        assertThat(openDescriptorsUnder(dir)).isEqualTo(before);
    }

    @Test
    void aMissingDirectoryIsAClearError() {
        Path file = dir.resolve("no/such/dir/state.db");
        assertThatThrownBy(() -> Database.open(file))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("cannot open the database " + file);
    }

    @Test
    void migrationFilesSplitIntoStatements() {
        List<String> v2 = Migrations.statements("V2__vm_disk_sizes.sql");
        assertThat(v2).hasSize(3);
        assertThat(v2.get(0)).startsWith("ALTER TABLE vms ADD COLUMN root_disk_mib").doesNotEndWith(";");
        assertThat(v2.get(2)).isEqualTo("CREATE INDEX vms_state ON vms(state)");
        assertThat(v2).noneMatch(s -> s.contains("--"));
        List<String> v1 = Migrations.statements("V1__vms.sql");
        assertThat(v1).hasSize(1);
        assertThat(v1.getFirst()).startsWith("CREATE TABLE vms (").endsWith(")");
        assertThat(Migrations.FILES).hasSize(Migrations.LATEST);
    }

    @Test
    void closingTwiceIsHarmless() {
        Database db = Database.open(dir.resolve("state.db"));
        db.close();
        db.close();
        assertThatThrownBy(db::schemaVersion).isInstanceOf(StoreException.class);
    }

    @Test
    void aNewDatabaseHasAStableHomeIdentity() {
        Path file = dir.resolve("state.db");
        String id;
        try (Database db = Database.open(file)) {
            id = db.homeId();
            assertThat(id).matches("[0-9a-f]{32}");
        }
        try (Database db = Database.open(file)) {
            assertThat(db.homeId()).as("kept across opens").isEqualTo(id);
        }
        try (Database other = Database.open(dir.resolve("other.db"))) {
            assertThat(other.homeId()).as("each database its own").isNotEqualTo(id);
            other.adoptHomeId(id);
            assertThat(other.homeId()).isEqualTo(id);
            assertThatThrownBy(() -> other.adoptHomeId("x'; DROP TABLE vms; --")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void inspectTellsMissingEmptyAndPresentApartWithoutCreatingAnything() throws IOException {
        Path file = dir.resolve("state.db");
        assertThat(Database.inspect(file)).isEqualTo(Database.FileState.MISSING);
        assertThat(file).doesNotExist();
        Files.createFile(file);
        assertThat(Database.inspect(file)).isEqualTo(Database.FileState.EMPTY);
        Files.delete(file);
        Database.open(file).close();
        assertThat(Database.inspect(file)).isEqualTo(Database.FileState.PRESENT);
        Path link = dir.resolve("linked.db");
        Files.createSymbolicLink(link, file);
        assertThatThrownBy(() -> Database.inspect(link)).isInstanceOf(StoreException.class).hasMessageContaining("symbolic link");
    }

    @Test
    void aFileThatIsNotADatabaseIsRefusedAsCorruptAndLeftAsItWas() throws IOException {
        Path file = dir.resolve("state.db");
        byte[] junk = "this is not SQLite, just some bytes that someone wrote here by mistake".repeat(100).getBytes();
        Files.write(file, junk);
        assertThatThrownBy(() -> Database.open(file)).isInstanceOfSatisfying(StoreException.class,
                e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.CORRUPT));
        assertThat(Files.readAllBytes(file)).as("never replaced by a fresh database").isEqualTo(junk);
    }

    @Test
    void aDatabaseWithDamagedPagesFailsTheIntegrityCheck() throws Exception {
        Path file = dir.resolve("state.db");
        try (Database db = Database.open(file)) {
            for (int i = 0; i < 200; i++) {
                db.vms().insert(VmFixtures.vm(i, "vm-" + i));
            }
        }
        // Scribble over the middle of the file (past the header page): table and index pages.
        byte[] bytes = Files.readAllBytes(file);
        for (int i = 4096 * 2; i < bytes.length - 100; i += 7) {
            bytes[i] = (byte) 0xA5;
        }
        Files.write(file, bytes);
        assertThatThrownBy(() -> Database.open(file)).isInstanceOfSatisfying(StoreException.class,
                e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.CORRUPT));
    }

    @Test
    void theReserveIsMadeBesideTheDatabaseWithRealBlocks() throws IOException {
        Path file = dir.resolve("state.db");
        try (Database db = Database.open(file)) {
            Path reserve = db.reserve();
            assertThat(reserve).isRegularFile().hasSize(Database.RESERVE_BYTES);
            // Allocated, not sparse: a sparse reserve would give nothing back when released.
            Process du = new ProcessBuilder("du", "-B1", reserve.toString()).start();
            long allocated = Long.parseLong(new String(du.getInputStream().readAllBytes()).split("\\s+")[0]);
            assertThat(allocated).isGreaterThanOrEqualTo(Database.RESERVE_BYTES);
            String result = db.withReserve(() -> "ran once");
            assertThat(result).isEqualTo("ran once");
            assertThat(reserve).as("not spent without a full disk").exists();
        }
    }
}
