package dev.banger.core.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.core.vm.KernelArgs.BootStyle;
import dev.banger.core.vm.KernelArgs.Verbosity;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class KernelArgsTest {
    /** What this project's hosts say (a PVM guest: hypervisor, constant TSC, no APERF/MPERF). */
    private static final String VIRTUAL_HOST = """
            processor\t: 0
            vendor_id\t: AuthenticAMD
            cpu MHz\t\t: 2096.016
            flags\t\t: fpu vme tsc msr constant_tsc rep_good nopl nonstop_tsc cpuid tsc_known_freq pni hypervisor lahf_lm
            bogomips\t: 4192.03

            processor\t: 1
            cpu MHz\t\t: 2096.016
            flags\t\t: fpu vme tsc msr constant_tsc rep_good nopl nonstop_tsc cpuid tsc_known_freq pni hypervisor lahf_lm
            """;

    @Test
    void fastBootIsTheDefault() {
        assertThat(KernelArgs.defaults().line())
                .isEqualTo("console=ttyS0 root=/dev/vda rw banger.init=/sbin/banger-init panic=-1 reboot=t cryptomgr.notests");
    }

    @Test
    void systemdQuietAndTsc() {
        KernelArgs k = new KernelArgs(BootStyle.SYSTEMD, Verbosity.QUIET, OptionalLong.of(2_096_016));
        assertThat(k.line()).isEqualTo(
                "console=ttyS0 root=/dev/vda rw banger.init=/lib/systemd/systemd panic=-1 reboot=t cryptomgr.notests quiet tsc_early_khz=2096016 tsc=reliable");
        assertThat(k.words()).doesNotHaveDuplicates().allMatch(w -> !w.isBlank() && !w.contains(" "));
    }

    @Test
    void theTscHintIsForTcgOnly() {
        OptionalLong tsc = OptionalLong.of(2_096_016);
        assertThat(KernelArgs.defaults().forAccelerator("tcg", tsc).line()).endsWith("panic=-1 reboot=t cryptomgr.notests tsc_early_khz=2096016 tsc=reliable");
        assertThat(KernelArgs.defaults().forAccelerator("kvm", tsc).line()).doesNotContain("tsc");
        assertThat(KernelArgs.defaults().forAccelerator("tcg", OptionalLong.empty()).line()).doesNotContain("tsc");
    }

    @Test
    void withersKeepTheRest() {
        KernelArgs k = KernelArgs.defaults().withBoot(BootStyle.SYSTEMD).withVerbosity(Verbosity.QUIET);
        assertThat(k).isEqualTo(new KernelArgs(BootStyle.SYSTEMD, Verbosity.QUIET, OptionalLong.empty()));
    }

    @Test
    void bootStylesParse() {
        assertThat(BootStyle.parse(null)).isEqualTo(BootStyle.FAST);
        assertThat(BootStyle.parse("fast")).isEqualTo(BootStyle.FAST);
        assertThat(BootStyle.parse(" Systemd ")).isEqualTo(BootStyle.SYSTEMD);
        assertThatThrownBy(() -> BootStyle.parse("openrc")).isInstanceOf(BangerException.class)
                .hasMessageContaining("use \"fast\"");
    }

    @Test
    void implausibleTscRatesAreRefused() {
        assertThatThrownBy(() -> new KernelArgs(BootStyle.FAST, Verbosity.NORMAL, OptionalLong.of(99_999)))
                .isInstanceOf(BangerException.class).hasMessageContaining("implausible");
        assertThatThrownBy(() -> new KernelArgs(BootStyle.FAST, Verbosity.NORMAL, OptionalLong.of(10_000_001)))
                .isInstanceOf(BangerException.class);
        assertThatThrownBy(() -> new KernelArgs(BootStyle.FAST, Verbosity.NORMAL, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hostTscRateIsTrustedOnAVirtualHostWithAConstantTsc() {
        assertThat(KernelArgs.hostTscKhz(VIRTUAL_HOST)).hasValue(2_096_016);
        assertThat(KernelArgs.hostTscKhz(VIRTUAL_HOST.replace("2096.016", "2999.9996"))).hasValue(3_000_000);
    }

    @Test
    void hostTscRateIsNotGuessedElsewhere() {
        // Bare metal: "cpu MHz" is the current core clock.
        assertThat(KernelArgs.hostTscKhz(VIRTUAL_HOST.replace(" hypervisor", ""))).isEmpty();
        // APERF/MPERF exposed: the same.
        assertThat(KernelArgs.hostTscKhz(VIRTUAL_HOST.replace(" hypervisor", " hypervisor aperfmperf"))).isEmpty();
        // A TSC whose rate changes with the clock.
        assertThat(KernelArgs.hostTscKhz(VIRTUAL_HOST.replace(" constant_tsc", ""))).isEmpty();
        // Missing or odd figures.
        assertThat(KernelArgs.hostTscKhz(VIRTUAL_HOST.replaceAll("cpu MHz.*\n", ""))).isEmpty();
        assertThat(KernelArgs.hostTscKhz(VIRTUAL_HOST.replace("2096.016", "fast"))).isEmpty();
        assertThat(KernelArgs.hostTscKhz(VIRTUAL_HOST.replace("2096.016", "1e9"))).isEmpty();
        assertThat(KernelArgs.hostTscKhz(VIRTUAL_HOST.replace("2096.016", "12.5"))).isEmpty();
        assertThat(KernelArgs.hostTscKhz("")).isEmpty();
    }
}
