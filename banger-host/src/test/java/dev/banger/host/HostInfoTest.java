package dev.banger.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostInfoTest {
    @Test
    void oneCoresMhzFromCpufreqElseTheFastestInCpuinfo(@TempDir Path dir) throws Exception {
        Path cpuinfo = Files.writeString(dir.resolve("cpuinfo"), "processor\t: 0\ncpu MHz\t\t: 2445.424\n\n"
                + "processor\t: 1\ncpu MHz\t\t: 3100.000\n");
        Path maxFreq = dir.resolve("cpuinfo_max_freq");
        assertThat(HostInfo.cpuMhzPerCore(maxFreq, cpuinfo)).as("no cpufreq: cpuinfo").isEqualTo(3100);
        Files.writeString(maxFreq, "3500000\n");
        assertThat(HostInfo.cpuMhzPerCore(maxFreq, cpuinfo)).as("cpufreq's kHz first, as Nomad reads").isEqualTo(3500);
        Files.writeString(maxFreq, "garbage\n");
        assertThat(HostInfo.cpuMhzPerCore(maxFreq, cpuinfo)).isEqualTo(3100);
        assertThat(HostInfo.cpuMhzPerCore(maxFreq, dir.resolve("absent"))).as("neither says").isZero();
        assertThat(HostInfo.cpuMhzPerCore()).as("this host").isNotNegative();
    }
}
