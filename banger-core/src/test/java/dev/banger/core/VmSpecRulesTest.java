package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.VmSpec;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VmSpecRulesTest {
    private static final long HOST_MIB = 16_384;
    private static final BangerConfig.Settings SETTINGS = BangerConfig.DEFAULTS;

    private static AbstractThrowableAssert<?, ? extends Throwable> assertInvalid(ThrowingCallable call) {
        return assertThatThrownBy(call)
                .isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    private static Params.VmCreate request(String image, Integer vcpus, Integer memory, Long root, Long work) {
        return new Params.VmCreate("ignored", image, vcpus, memory, root, work, null);
    }

    @Test
    void defaultsFillEveryMissingField() {
        VmSpec spec = VmSpecRules.resolve(request(null, null, null, null, null), "web", SETTINGS, HOST_MIB);
        assertThat(spec).isEqualTo(new VmSpec("web", "debian-bookworm", BangerConfig.DEFAULT_VCPUS, 512, 0, 4096, "qemu"));
    }

    @Test
    void theVmmIsChosenPerVmOrRefusedClearly() {
        VmSpec fc = VmSpecRules.resolve(new Params.VmCreate(null, null, null, null, null, null, " Firecracker "), "web",
                BangerConfig.DEFAULTS, HOST_MIB);
        assertThat(fc.vmm()).isEqualTo("firecracker");
        assertThat(VmSpecRules.resolve(request(null, null, null, null, null), "web", BangerConfig.DEFAULTS, HOST_MIB).vmm())
                .isEqualTo("qemu");
        assertInvalid(() -> VmSpecRules.resolve(new Params.VmCreate(null, null, null, null, null, null, "kvmtool"), "web",
                BangerConfig.DEFAULTS, HOST_MIB)).hasMessageContaining("VMM 'kvmtool' is unknown");
    }

    @Test
    void defaultsComeFromTheSettings() {
        BangerConfig.Settings custom = new BangerConfig.Settings("banger0", Ipv4Subnet.parse("10.9.0.0/24"), false,
                "alpine", 3, 1024, 8192, "banger", dev.banger.core.vm.Accelerator.Mode.AUTO, dev.banger.core.vm.KernelArgs.Verbosity.QUIET,
                dev.banger.core.vm.VmmKind.FIRECRACKER, BangerConfig.DEFAULTS.firecracker(), true);
        VmSpec spec = VmSpecRules.resolve(request(null, null, null, null, null), "web", custom, HOST_MIB);
        assertThat(spec).isEqualTo(new VmSpec("web", "alpine", 3, 1024, 0, 8192, "firecracker"));
    }

    @Test
    void requestedValuesWin() {
        VmSpec spec = VmSpecRules.resolve(request("ubuntu-24.04", 8, 4096, 10_240L, 65_536L), "db-1", SETTINGS, HOST_MIB);
        assertThat(spec).isEqualTo(new VmSpec("db-1", "ubuntu-24.04", 8, 4096, 10_240, 65_536, "qemu"));
    }

    @Test
    void theNameArgumentIsValidatedNotTheRequestName() {
        assertInvalid(() -> VmSpecRules.resolve(new Params.VmCreate("fine", null, null, null, null, null, null), "Bad_Name",
                SETTINGS, HOST_MIB)).hasMessageContaining("VM name 'Bad_Name'");
        assertThat(VmSpecRules.resolve(new Params.VmCreate("Bad_Name", null, null, null, null, null, null), "fine",
                SETTINGS, HOST_MIB).name()).isEqualTo("fine");
    }

    @Test
    void aBadImageIsRejected() {
        assertInvalid(() -> VmSpecRules.resolve(request("../etc", null, null, null, null), "web", SETTINGS, HOST_MIB))
                .hasMessageContaining("image name '../etc' is not valid");
    }

    @Property
    void vcpusOneToThirtyTwoAreAccepted(@ForAll @IntRange(min = 1, max = 32) int vcpus) {
        assertThat(VmSpecRules.checkVcpus(vcpus)).isEqualTo(vcpus);
        assertThat(VmSpecRules.resolve(request(null, vcpus, null, null, null), "web", SETTINGS, HOST_MIB).vcpus()).isEqualTo(vcpus);
    }

    @Property
    void vcpusOutsideOneToThirtyTwoAreRejected(@ForAll int vcpus) {
        if (vcpus >= 1 && vcpus <= 32) {
            return;
        }
        assertInvalid(() -> VmSpecRules.checkVcpus(vcpus)).hasMessageContaining("vcpus " + vcpus + " is out of range")
                .hasMessageContaining("1 to 32");
    }

    @Test
    void memoryBounds() {
        assertThat(VmSpecRules.checkMemory(128, HOST_MIB)).isEqualTo(128);
        assertThat(VmSpecRules.checkMemory(HOST_MIB, HOST_MIB)).isEqualTo((int) HOST_MIB);
        assertInvalid(() -> VmSpecRules.checkMemory(127, HOST_MIB)).hasMessageContaining("memory 127 MiB is too small")
                .hasMessageContaining("at least 128 MiB");
        assertInvalid(() -> VmSpecRules.checkMemory(0, HOST_MIB)).hasMessageContaining("too small");
        assertInvalid(() -> VmSpecRules.checkMemory(-512, HOST_MIB)).hasMessageContaining("too small");
        assertInvalid(() -> VmSpecRules.checkMemory(HOST_MIB + 1, HOST_MIB))
                .hasMessageContaining("memory 16385M is more than this host has (16G)")
                .hasMessageContaining("ask for at most 16384 MiB");
    }

    @Property
    void memoryBetweenMinimumAndHostIsAccepted(@ForAll @IntRange(min = 128, max = 16_384) int memory) {
        assertThat(VmSpecRules.checkMemory(memory, HOST_MIB)).isEqualTo(memory);
    }

    @Test
    void resolveChecksMemoryAgainstTheHost() {
        assertInvalid(() -> VmSpecRules.resolve(request(null, null, 2048, null, null), "web", SETTINGS, 1024))
                .hasMessageContaining("more than this host has");
        // The default memory is checked too: a tiny host cannot take the 512M default.
        assertInvalid(() -> VmSpecRules.resolve(request(null, null, null, null, null), "web", SETTINGS, 256))
                .hasMessageContaining("memory 512M");
    }

    @Test
    void workDiskBounds() {
        assertThat(VmSpecRules.checkWorkDisk(64)).isEqualTo(64);
        assertThat(VmSpecRules.checkWorkDisk(VmSpecRules.MAX_DISK_MIB)).isEqualTo(16L * 1024 * 1024);
        assertInvalid(() -> VmSpecRules.checkWorkDisk(63)).hasMessageContaining("work disk 63M is out of range")
                .hasMessageContaining("use 64M to 16T");
        assertInvalid(() -> VmSpecRules.checkWorkDisk(0)).hasMessageContaining("out of range");
        assertInvalid(() -> VmSpecRules.checkWorkDisk(VmSpecRules.MAX_DISK_MIB + 1)).hasMessageContaining("out of range");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 256, 257, 1024, 16L * 1024 * 1024})
    void rootDiskZeroOrAtLeast256MIsAccepted(long mib) {
        assertThat(VmSpecRules.checkRootDisk(mib)).isEqualTo(mib);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 128, 255, -1, 16L * 1024 * 1024 + 1})
    void otherRootDisksAreRejected(long mib) {
        assertInvalid(() -> VmSpecRules.checkRootDisk(mib)).hasMessageContaining("root disk")
                .hasMessageContaining("out of range").hasMessageContaining("use 0 (the image's size) or 256M to 16T");
    }

    @Test
    void resolveChecksDisks() {
        assertInvalid(() -> VmSpecRules.resolve(request(null, null, null, 100L, null), "web", SETTINGS, HOST_MIB))
                .hasMessageContaining("root disk 100M");
        assertInvalid(() -> VmSpecRules.resolve(request(null, null, null, null, 10L), "web", SETTINGS, HOST_MIB))
                .hasMessageContaining("work disk 10M");
        assertThat(VmSpecRules.resolve(request(null, null, null, 0L, null), "web", SETTINGS, HOST_MIB).rootDiskMib()).isZero();
    }
}
