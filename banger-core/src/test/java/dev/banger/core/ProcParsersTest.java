package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcParsersTest {
    private static final String MEMINFO = """
            MemTotal:       16318480 kB
            MemFree:         1183716 kB
            MemAvailable:    9262280 kB
            Buffers:          538792 kB
            Cached:          7521312 kB
            SwapTotal:       2097148 kB
            """;

    private static final String STATUS = """
            Name:\tbangerd
            Umask:\t0022
            State:\tS (sleeping)
            Tgid:\t4242
            Pid:\t4242
            PPid:\t1
            TracerPid:\t0
            Uid:\t1000\t0\t0\t0
            Gid:\t1000\t1000\t1000\t1000
            FDSize:\t64
            """;

    @Test
    void memTotalInMib() {
        assertThat(ProcParsers.memTotalMib(MEMINFO)).isEqualTo(15_936); // 16318480 / 1024, rounded down
    }

    @Test
    void memTotalNeedNotBeFirst() {
        assertThat(ProcParsers.memTotalMib("MemFree: 1 kB\nMemTotal: 2097152 kB\n")).isEqualTo(2048);
    }

    @Test
    void memTotalRoundsDown() {
        assertThat(ProcParsers.memTotalMib("MemTotal: 2047 kB")).isEqualTo(1);
        assertThat(ProcParsers.memTotalMib("MemTotal: 1023 kB")).isZero();
    }

    @Test
    void memTotalMissing() {
        assertThatThrownBy(() -> ProcParsers.memTotalMib("MemFree: 1 kB\n")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no MemTotal");
        assertThatThrownBy(() -> ProcParsers.memTotalMib("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void effectiveUidIsTheSecondField() {
        // A setuid process: real 1000, effective 0.
        assertThat(ProcParsers.effectiveUid(STATUS)).isZero();
        assertThat(ProcParsers.effectiveUid("Uid:\t0\t1000\t1000\t1000\n")).isEqualTo(1000);
    }

    @Test
    void effectiveUidWithSpaces() {
        assertThat(ProcParsers.effectiveUid("Name: x\nUid:   1001   1002   1003   1004\n")).isEqualTo(1002);
    }

    @Test
    void effectiveUidMissing() {
        assertThatThrownBy(() -> ProcParsers.effectiveUid("Name:\tx\nGid:\t0\t0\t0\t0\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no Uid");
    }

    @Test
    void cpuTicksAreUtimePlusStimeCountedAfterTheName() {
        // A name with spaces and a ')' of its own: fields are counted after the last ')'.
        String stat = "4242 (qemu) sys (x)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 5 0 100 0 0";
        assertThat(ProcParsers.cpuTicks(stat)).isEqualTo(1234 + 567);
        assertThatThrownBy(() -> ProcParsers.cpuTicks("4242 (x) S 1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcParsers.cpuTicks("garbage")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theFastestCpuMhzOfCpuinfo() {
        assertThat(ProcParsers.maxCpuMhz("processor\t: 0\ncpu MHz\t\t: 2445.424\n\nprocessor\t: 1\ncpu MHz\t\t: 3100.900\n"
                + "flags\t\t: fpu vme\n")).isEqualTo(3100);
        assertThat(ProcParsers.maxCpuMhz("processor\t: 0\nBogoMIPS\t: 50.00\n")).as("arm64 says none").isZero();
        assertThat(ProcParsers.maxCpuMhz("cpu MHz : NaN\ncpu MHz : 1e300\ncpu MHz:12a\ncpu MHz : -5\n")).isZero();
    }
}
