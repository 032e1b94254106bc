package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.core.vm.Accelerator;
import dev.banger.core.vm.KernelArgs;
import dev.banger.api.ErrorCode;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BangerConfigTest {
    private static final String FILE = "/etc/banger/config.toml";

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(String toml) {
        return assertThatThrownBy(() -> BangerConfig.parse(toml, FILE))
                .isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageStartingWith(FILE + ": ");
    }

    @Test
    void theDefaults() {
        BangerConfig.Settings d = BangerConfig.DEFAULTS;
        assertThat(d.bridge()).isEqualTo("banger0");
        assertThat(d.subnet()).isEqualTo(Ipv4Subnet.parse("172.29.0.0/24"));
        assertThat(d.nat()).isFalse();
        assertThat(d.defaultImage()).isEqualTo("debian-bookworm");
        assertThat(d.defaultVcpus()).isEqualTo(2);
        assertThat(d.defaultMemoryMib()).isEqualTo(512);
        assertThat(d.defaultWorkDiskMib()).isEqualTo(4096);
        assertThat(d.socketGroup()).isEqualTo("banger");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "\n", "   \n\n", "# nothing configured yet\n", "[network]\n", "[network]\n[defaults]\n[daemon]\n"})
    void emptyTextMeansTheDefaults(String text) {
        assertThat(BangerConfig.parse(text, FILE)).isEqualTo(BangerConfig.DEFAULTS);
    }

    @Test
    void everyKeySet() {
        String toml = """
                [network]
                bridge = "br-dev.1"
                subnet = "10.42.0.0/16"
                nat = true

                [defaults]
                image = "alpine-3.20"
                vcpus = 4
                memory = "2G"
                work_disk = "20G"

                [daemon]
                socket_group = "wheel"

                [vmm]
                accel = "tcg"
                kernel_log = "full"
                driver = "firecracker"
                firecracker = "/opt/fc/firecracker-v1.12"

                [jailer]
                enabled = true
                binary = "/opt/fc/jailer"
                uid = 123
                gid = 456
                chroot_base = "/var/lib/banger/jail"

                [snapshots]
                auto_template = false
                """;
        BangerConfig.Settings s = BangerConfig.parse(toml, FILE);
        assertThat(s).isEqualTo(new BangerConfig.Settings("br-dev.1", Ipv4Subnet.parse("10.42.0.0/16"), true,
                "alpine-3.20", 4, 2048, 20480, "wheel", Accelerator.Mode.TCG, KernelArgs.Verbosity.NORMAL,
                dev.banger.core.vm.VmmKind.FIRECRACKER, new BangerConfig.FirecrackerSettings("/opt/fc/firecracker-v1.12", true,
                "/opt/fc/jailer", 123, 456, java.nio.file.Path.of("/var/lib/banger/jail")), false));
    }

    @Test
    void firecrackerAndJailerDefaultToOffAndPath() {
        BangerConfig.Settings s = BangerConfig.parse("[vmm]\naccel = \"kvm\"\n", FILE);
        assertThat(s.defaultVmm()).isEqualTo(dev.banger.core.vm.VmmKind.QEMU);
        assertThat(s.firecracker()).isEqualTo(BangerConfig.DEFAULTS.firecracker());
        assertThat(s.firecracker().jailed()).isFalse();
        assertThat(s.firecracker().binary()).isEqualTo("firecracker");
    }

    @Test
    void badVmmSettingsAreRefusedWithTheKey() {
        assertThatThrownBy(() -> BangerConfig.parse("[vmm]\ndriver = \"xen\"\n", FILE))
                .hasMessageContaining("vmm.driver").hasMessageContaining("xen").hasMessageContaining("\"qemu\"");
        assertThatThrownBy(() -> BangerConfig.parse("[vmm]\nfirecracker = \"fc --no-seccomp\"\n", FILE))
                .hasMessageContaining("vmm.firecracker").hasMessageContaining("not a program");
        assertThatThrownBy(() -> BangerConfig.parse("[vmm]\nfirecracker = \"-x\"\n", FILE))
                .hasMessageContaining("vmm.firecracker");
        assertThatThrownBy(() -> BangerConfig.parse("[vmm]\nfirecracker = \"/opt/../fc\"\n", FILE))
                .hasMessageContaining("vmm.firecracker");
        assertThatThrownBy(() -> BangerConfig.parse("[jailer]\nuid = 0\n", FILE))
                .hasMessageContaining("jailer.uid").hasMessageContaining("not root");
        assertThatThrownBy(() -> BangerConfig.parse("[jailer]\ngid = -5\n", FILE)).hasMessageContaining("jailer.gid");
        assertThatThrownBy(() -> BangerConfig.parse("[jailer]\nchroot_base = \"srv/jail\"\n", FILE))
                .hasMessageContaining("jailer.chroot_base").hasMessageContaining("absolute");
        assertThatThrownBy(() -> BangerConfig.parse("[jailer]\nchroot_base = \"/srv/../etc\"\n", FILE))
                .hasMessageContaining("jailer.chroot_base");
        assertThatThrownBy(() -> BangerConfig.parse("[jailer]\nsecret = 1\n", FILE)).hasMessageContaining("secret");
    }

    @Test
    void unsetKeysKeepTheirDefaults() {
        BangerConfig.Settings s = BangerConfig.parse("[network]\nnat = true\n[defaults]\nvcpus = 3\n", FILE);
        assertThat(s.nat()).isTrue();
        assertThat(s.defaultVcpus()).isEqualTo(3);
        assertThat(s.bridge()).isEqualTo("banger0");
        assertThat(s.subnet()).isEqualTo(BangerConfig.DEFAULTS.subnet());
        assertThat(s.defaultImage()).isEqualTo("debian-bookworm");
        assertThat(s.defaultMemoryMib()).isEqualTo(512);
        assertThat(s.defaultWorkDiskMib()).isEqualTo(4096);
        assertThat(s.socketGroup()).isEqualTo("banger");
        assertThat(s.accel()).isEqualTo(Accelerator.Mode.AUTO);
        assertThat(s.kernelLog()).isEqualTo(KernelArgs.Verbosity.QUIET);
    }

    @Test
    void unknownAcceleratorsAndLogLevelsAreErrorsNamingTheKey() {
        assertThatThrownBy(() -> BangerConfig.parse("[vmm]\naccel = \"hvf\"\n", FILE))
                .isInstanceOf(BangerException.class).hasMessageContaining(FILE).hasMessageContaining("vmm.accel")
                .hasMessageContaining("\"auto\"");
        assertThatThrownBy(() -> BangerConfig.parse("[vmm]\nkernel_log = \"loud\"\n", FILE))
                .isInstanceOf(BangerException.class).hasMessageContaining("vmm.kernel_log").hasMessageContaining("\"full\"");
        assertThatThrownBy(() -> BangerConfig.parse("[vmm]\naccelerator = \"kvm\"\n", FILE))
                .isInstanceOf(BangerException.class).hasMessageContaining("accelerator");
    }

    @Test
    void sizesAcceptEveryUnitAndBareNumbers() {
        assertThat(BangerConfig.parse("[defaults]\nmemory = \"1536\"\n", FILE).defaultMemoryMib()).isEqualTo(1536);
        assertThat(BangerConfig.parse("[defaults]\nmemory = 768\n", FILE).defaultMemoryMib()).isEqualTo(768);
        assertThat(BangerConfig.parse("[defaults]\nwork_disk = \"1T\"\n", FILE).defaultWorkDiskMib()).isEqualTo(1024 * 1024);
    }

    @Test
    void anUnknownTopLevelKeyIsRejectedByName() {
        assertRejected("colour = \"blue\"\n").hasMessageContaining("unknown setting 'colour'")
                .hasMessageContaining("network").hasMessageContaining("defaults").hasMessageContaining("daemon");
    }

    @Test
    void anUnknownNestedKeyIsRejectedByName() {
        assertRejected("[network]\nbrige = \"br0\"\n").hasMessageContaining("unknown setting 'brige'")
                .hasMessageContaining("bridge");
        assertRejected("[defaults]\nmemory_mib = 512\n").hasMessageContaining("unknown setting 'memory_mib'");
        // camelCase is not an alias of the snake_case key.
        assertRejected("[defaults]\nworkDisk = \"4G\"\n").hasMessageContaining("unknown setting 'workDisk'");
    }

    @Test
    void anUnknownSectionIsRejected() {
        assertRejected("[vms]\nmax = 3\n").hasMessageContaining("unknown setting 'vms'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"172.29.0.1/24", "172.29.0.0/8", "172.29.0.0/30", "300.0.0.0/24", "172.29.0.0", "banana"})
    void aBadSubnetIsRejectedNamingTheKey(String subnet) {
        assertRejected("[network]\nsubnet = \"" + subnet + "\"\n").hasMessageContaining("network.subnet: ");
    }

    @Test
    void aBadSubnetSaysWhatIsWrong() {
        assertRejected("[network]\nsubnet = \"172.29.0.1/24\"\n").hasMessageContaining("did you mean 172.29.0.0/24?");
        assertRejected("[network]\nsubnet = \"172.29.0.0/8\"\n").hasMessageContaining("/8 is not supported");
        assertRejected("[network]\nsubnet = \"300.0.0.0/24\"\n").hasMessageContaining("octet 300 > 255");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "bridge-name-too-long", "br 0", "br/0", "br\u00e90"})
    void aBadBridgeIsRejectedNamingTheKey(String bridge) {
        assertRejected("[network]\nbridge = \"" + bridge + "\"\n").hasMessageContaining("network.bridge '" + bridge + "'")
                .hasMessageContaining("1-15 characters");
    }

    @Test
    void fifteenCharacterBridgeIsFine() {
        assertThat(BangerConfig.parse("[network]\nbridge = \"abcdefghijklmno\"\n", FILE).bridge()).isEqualTo("abcdefghijklmno");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 33, 1000})
    void vcpusOutOfRangeAreRejectedNamingTheKey(int vcpus) {
        assertRejected("[defaults]\nvcpus = " + vcpus + "\n").hasMessageContaining("vcpus " + vcpus + " is out of range")
                .hasMessageContaining("1 to 32");
    }

    @Test
    void vcpusAtTheLimitsAreFine() {
        assertThat(BangerConfig.parse("[defaults]\nvcpus = 1\n", FILE).defaultVcpus()).isEqualTo(1);
        assertThat(BangerConfig.parse("[defaults]\nvcpus = 32\n", FILE).defaultVcpus()).isEqualTo(32);
    }

    @Test
    void vcpusOfTheWrongTypeAreRejected() {
        assertRejected("[defaults]\nvcpus = \"two\"\n").hasMessageContaining("two");
    }

    @Test
    void vcpusOfTheWrongTypeAreRejectedNamingTheKey() {
        assertRejected("[defaults]\nvcpus = \"two\"\n").hasMessageContaining("vcpus");
        assertRejected("[network]\nnat = \"yes\"\n").hasMessageContaining("nat");
    }

    @Test
    void fractionalVcpusAreRejected() {
        assertRejected("[defaults]\nvcpus = 2.7\n").hasMessageContaining("vcpus");
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "-1G", "4K", "1.5G", ""})
    void badMemoryIsRejectedNamingTheKey(String memory) {
        assertRejected("[defaults]\nmemory = \"" + memory + "\"\n").hasMessageContaining("defaults.memory");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "1M", "127M"})
    void memoryBelowTheMinimumIsRejectedAtLoad(String memory) {
        assertRejected("[defaults]\nmemory = \"" + memory + "\"\n").hasMessageContaining("memory")
                .hasMessageContaining("128");
    }

    @Test
    void badWorkDiskTextIsRejectedNamingTheKey() {
        assertRejected("[defaults]\nwork_disk = \"huge\"\n").hasMessageContaining("defaults.work_disk 'huge'");
    }

    @Test
    void workDiskOutOfRangeIsRejected() {
        assertRejected("[defaults]\nwork_disk = \"1M\"\n").hasMessageContaining("work disk 1M is out of range")
                .hasMessageContaining("64M to 16T");
        assertRejected("[defaults]\nwork_disk = \"17T\"\n").hasMessageContaining("out of range");
    }

    @Test
    void workDiskOutOfRangeNamesTheKey() {
        assertRejected("[defaults]\nwork_disk = \"1M\"\n").hasMessageContaining("work_disk");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Debian", "-debian", "", "deb/ian"})
    void aBadImageIsRejected(String image) {
        assertRejected("[defaults]\nimage = \"" + image + "\"\n").hasMessageContaining("image name");
    }

    @Test
    void invalidTomlIsRejectedNamingTheFile() {
        assertRejected("[network\nbridge = \"br0\"\n");
        assertRejected("[network]\nbridge = \n");
    }

    @Test
    void aSectionOfTheWrongShapeIsRejected() {
        assertRejected("network = 5\n");
    }

    @Test
    void theSourceNameIsWhateverTheCallerPasses() {
        assertThatThrownBy(() -> BangerConfig.parse("x = 1", "/home/u/.banger/config.toml"))
                .hasMessageStartingWith("/home/u/.banger/config.toml: unknown setting 'x'");
    }

    @Test
    void mountsAllowedAreAbsoluteNormalisedPathsAndNeverTheRoot() {
        assertThat(BangerConfig.parse("[mounts]\nallowed = [\"/srv/shared\", \"/data\"]\n", "c").mountsAllowed())
                .containsExactly(java.nio.file.Path.of("/srv/shared"), java.nio.file.Path.of("/data"));
        assertThat(BangerConfig.DEFAULTS.mountsAllowed()).isEmpty();
        for (String bad : java.util.List.of("rel", "/a/../etc", "/", "/a/./b")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> BangerConfig.parse("[mounts]\nallowed = [\"" + bad + "\"]\n", "c"))
                    .as(bad).isInstanceOf(dev.banger.api.BangerException.class).hasMessageContaining("mounts.allowed");
        }
    }
}
