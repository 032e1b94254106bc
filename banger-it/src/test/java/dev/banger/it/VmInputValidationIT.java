package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input through the CLI: rule violations exit 2 (usage) with a message naming the rule; unknown VMs
 * and taken names exit 1. Nothing invalid may leave a record behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class VmInputValidationIT {
    private BangerHome home;

    @BeforeAll
    void startHome() {
        home = BangerHome.create();
        home.importPlaceholderImage();
        home.startDaemon();
    }

    @AfterAll
    void noInvalidVmWasRecordedThenCleanUp() {
        try {
            var names = home.ok("vm", "list", "--json").json().findValuesAsText("name");
            assertThat(names).as("VMs left by the invalid requests").isSubsetOf("taken");
        } finally {
            home.close();
        }
    }

    static Stream<Arguments> invalidNames() {
        return Stream.of(
                Arguments.of("uppercase", "--name", "Demo", "only lowercase letters a-z, digits 0-9 and '-' are allowed"),
                Arguments.of("64 characters", "--name", "a".repeat(64), "is 64 characters long: a VM name is a DNS label of at most 63 characters"),
                Arguments.of("leading dash", "--name=-web", null, "must begin and end with a letter or digit"),
                Arguments.of("underscore", "--name", "my_vm", "contains '_' at position 3"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidNames")
    void invalidNamesExit2NamingTheRule(String label, String option, String value, String rule) {
        BangerHome.Result r = value == null ? home.banger("vm", "create", option) : home.banger("vm", "create", option, value);

        assertThat(r.exitCode()).as("%s", r).isEqualTo(2);
        assertThat(r.stderr()).as("%s", r).contains(rule);
        assertThat(r.stdout()).isEmpty();
    }

    @ParameterizedTest(name = "--cpus {0}")
    @MethodSource("outOfRangeCpus")
    void cpusOutOfRangeExit2(String cpus) {
        BangerHome.Result r = home.banger("vm", "create", "--name", "cpus-" + cpus, "--cpus", cpus);

        assertThat(r.exitCode()).as("%s", r).isEqualTo(2);
        assertThat(r.stderr()).contains("vcpus " + cpus + " is out of range").contains("1 to 32 vCPUs");
    }

    static Stream<String> outOfRangeCpus() {
        return Stream.of("0", "33");
    }

    @Test
    void memoryBelowTheMinimumExits2() {
        BangerHome.Result r = home.banger("vm", "create", "--name", "tiny", "--memory", "64M");

        assertThat(r.exitCode()).as("%s", r).isEqualTo(2);
        assertThat(r.stderr()).contains("memory 64 MiB is too small").contains("at least 128 MiB");
    }

    @Test
    void memoryLargerThanTheHostExits2() throws IOException {
        long hostMib = memTotalMib();
        BangerHome.Result r = home.banger("vm", "create", "--name", "huge", "--memory", (hostMib + 1) + "M");

        assertThat(r.exitCode()).as("%s", r).isEqualTo(2);
        assertThat(r.stderr()).contains("is more than this host has").contains("ask for at most " + hostMib + " MiB");
    }

    @Test
    void showOfAnUnknownVmExits1() {
        BangerHome.Result r = home.banger("vm", "show", "ghost");

        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.stderr()).contains("no VM named 'ghost'");
    }

    @Test
    void deleteOfAnUnknownVmExits1() {
        BangerHome.Result r = home.banger("vm", "delete", "ghost");

        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.stderr()).contains("no VM named 'ghost'");
    }

    @Test
    void createWithATakenNameExits1() {
        home.ok("vm", "create", "--name", "taken");

        BangerHome.Result r = home.banger("vm", "create", "--name", "taken");

        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.stderr()).contains("name taken");
    }

    @Test
    void createWithAnUnknownImageExits1AndClaimsNothing() throws IOException {
        int before = home.ok("vm", "list", "--json").json().get("vms").size();
        long dirsBefore = vmDirectories();

        BangerHome.Result r = home.banger("vm", "create", "--name", "imageless", "--image", "no-such-image");

        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.stderr()).contains("no image named 'no-such-image'").contains("banger image list");
        assertThat(home.ok("vm", "list", "--json").json().get("vms").size()).isEqualTo(before);
        assertThat(vmDirectories()).isEqualTo(dirsBefore);
    }

    private long vmDirectories() throws IOException {
        Path vms = home.path().resolve("vms");
        if (!Files.isDirectory(vms)) {
            return 0;
        }
        try (var entries = Files.list(vms)) {
            return entries.count();
        }
    }

    private static long memTotalMib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        throw new IllegalStateException("no MemTotal in /proc/meminfo");
    }
}
