package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerVersion;
import dev.banger.store.Migrations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** bangerd's life as the CLI manages it: started on demand, inspected, stopped, never started by accident. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DaemonLifecycleIT {
    private BangerHome home;

    @BeforeEach
    void freshHome() {
        home = BangerHome.create();
    }

    @AfterEach
    void cleanUp() {
        home.close();
    }

    @Test
    void firstVmCommandOnAnEmptyHomeStartsTheDaemon() throws IOException {
        assertThat(home.socket()).doesNotExist();
        assertThat(home.daemons()).isEmpty();

        BangerHome.Result list = home.ok("vm", "list");

        assertThat(list.stdout().lines().findFirst()).hasValueSatisfying(header -> assertThat(header).startsWith("NAME"));
        assertThat(home.socket()).exists();
        assertThat(home.daemons()).as("exactly one bangerd serves %s", home).hasSize(1);
        assertThat(Files.readString(home.log())).contains("ready on " + home.socket());
    }

    @Test
    void statusReportsPidHomeAndSchemaVersion() {
        home.startDaemon();
        List<ProcessHandle> daemons = home.daemons();
        assertThat(daemons).hasSize(1);

        JsonNode status = home.ok("daemon", "status", "--json").json();

        assertThat(status.get("pid").asLong()).isEqualTo(daemons.getFirst().pid());
        assertThat(status.get("home").asText()).isEqualTo(home.path().toString());
        assertThat(status.get("schema_version").asInt()).isEqualTo(Migrations.LATEST);
        assertThat(status.get("socket").asText()).isEqualTo(home.socket().toString());
        assertThat(status.get("database").asText()).isEqualTo(home.database().toString());
        assertThat(status.get("version").asText()).isEqualTo(BangerVersion.current());
        assertThat(status.get("vm_count").asInt()).isZero();
        assertThat(status.get("uptime_seconds").asLong()).isNotNegative();

        BangerHome.Result human = home.ok("daemon", "status");
        assertThat(human.stdout()).contains("running, pid " + daemons.getFirst().pid()).contains(home.path().toString());
    }

    @Test
    void daemonProcessIsNamedBangerdAndPgrepFindsIt() {
        long pid = home.startDaemon();

        assertThat(BangerHome.comm(pid)).as("/proc/%d/comm", pid).isEqualTo("bangerd");
        BangerHome.Result byName = home.run(List.of("pgrep", "-x", "bangerd"), Duration.ofSeconds(10));
        assertThat(byName.stdout().lines()).as("pgrep -x bangerd").contains(Long.toString(pid));
        BangerHome.Result plain = home.run(List.of("pgrep", "bangerd"), Duration.ofSeconds(10));
        assertThat(plain.stdout().lines()).as("pgrep bangerd").contains(Long.toString(pid));
        BangerHome.Result full = home.run(List.of("pgrep", "-f", "bangerd"), Duration.ofSeconds(10));
        assertThat(full.stdout().lines()).as("pgrep -f bangerd").contains(Long.toString(pid));
    }

    @Test
    void socketIsMode0660AndTheStateDatabaseExists() throws IOException {
        home.startDaemon();

        BasicFileAttributes attrs = Files.readAttributes(home.socket(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertThat(attrs.isOther()).as("%s is a socket", home.socket()).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.socket(), LinkOption.NOFOLLOW_LINKS)))
                .isEqualTo("rw-rw----");
        assertThat(Files.getPosixFilePermissions(home.socket())).containsExactlyInAnyOrder(
                PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE);
        assertThat(home.database()).isRegularFile();
        assertThat(Files.size(home.database())).isPositive();
    }

    @Test
    void daemonStopStopsIt() {
        long pid = home.startDaemon();

        BangerHome.Result stop = home.ok("daemon", "stop");

        assertThat(stop.stdout()).contains("bangerd stopped (pid " + pid + ")");
        assertThat(home.socket()).doesNotExist();
        assertThat(BangerHome.await(Duration.ofSeconds(10), () -> !BangerHome.alive(pid)))
                .as("bangerd (pid %d) is gone", pid).isTrue();
        assertThat(home.daemons()).isEmpty();

        BangerHome.Result again = home.ok("daemon", "stop");
        assertThat(again.stdout()).contains("not running");
    }

    @Test
    void daemonStatusOnAFreshHomeFailsAndDoesNotStartIt() {
        BangerHome.Result status = home.banger("daemon", "status");

        assertThat(status.exitCode()).as("%s", status).isEqualTo(1);
        assertThat(status.stderr()).contains("not running");
        assertNothingStarted();
    }

    @Test
    void daemonStatusAfterStopFailsAndDoesNotStartIt() {
        home.startDaemon();
        home.ok("daemon", "stop");

        BangerHome.Result status = home.banger("daemon", "status", "--json");

        assertThat(status.exitCode()).as("%s", status).isEqualTo(1);
        assertThat(status.stderr()).contains("bangerd is not running");
        assertThat(status.stdout()).isEmpty();
        assertNothingStarted();
    }

    private void assertNothingStarted() {
        // A daemon the CLI started would exist by now (the CLI waits for it); give a stray one a moment anyway.
        assertThat(BangerHome.await(Duration.ofMillis(500), () -> !home.daemons().isEmpty()))
                .as("a bangerd was started for %s", home).isFalse();
        assertThat(home.socket()).doesNotExist();
    }
}
