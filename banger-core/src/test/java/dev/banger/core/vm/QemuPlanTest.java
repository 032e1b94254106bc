package dev.banger.core.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QemuPlanTest {
    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(UnaryOperator<QemuPlan.Builder> change) {
        return assertThatThrownBy(() -> change.apply(QemuCommandTest.fullPlan()).build())
                .isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void theFullPlanIsValid() {
        QemuPlan p = QemuCommandTest.fullPlan().build();
        assertThat(p.tcgTbSizeMib()).isEqualTo(QemuPlan.DEFAULT_TCG_TB_SIZE_MIB);
        assertThat(p.nic()).isPresent();
        assertThat(p.withoutNic().nic()).isEmpty();
    }

    @Test
    void namesAreDnsLabels() {
        assertRejected(b -> b.name("Demo")).hasMessageContaining("VM name");
        assertRejected(b -> b.name("a,b")).hasMessageContaining("VM name");
        assertRejected(b -> b.name(null)).hasMessageContaining("VM name is empty");
    }

    @Test
    void accelerator() {
        assertRejected(b -> b.accel("hvf")).hasMessageContaining("use kvm or tcg");
        assertRejected(b -> b.accel(null)).hasMessageContaining("accelerator '(none)'");
    }

    @Test
    void ranges() {
        assertRejected(b -> b.memoryMib(64)).hasMessageContaining("at least 128 MiB");
        assertRejected(b -> b.memoryMib((1 << 20) + 1)).hasMessageContaining("out of range");
        assertRejected(b -> b.vcpus(0)).hasMessageContaining("1 to 32 vCPUs");
        assertRejected(b -> b.vcpus(33)).hasMessageContaining("1 to 32 vCPUs");
        assertRejected(b -> b.tcgTbSizeMib(8)).hasMessageContaining("16 to 2048 MiB");
        assertRejected(b -> b.tcgTbSizeMib(4096)).hasMessageContaining("16 to 2048 MiB");
        assertThat(QemuCommandTest.fullPlan().memoryMib(128).vcpus(32).tcgTbSizeMib(16).build()).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"relative/vmlinuz", "/i/../etc/vmlinuz", "/i/./vmlinuz", "/i/a,b/vmlinuz", "/i/a\nb"})
    void badKernelPaths(String path) {
        assertRejected(b -> b.kernel(Path.of(path))).hasMessageContaining("kernel path");
    }

    @Test
    void commasAreRefusedWithTheFix() {
        assertRejected(b -> b.rootOverlay(Path.of("/home/me,x/vms/root.qcow2")))
                .hasMessageContaining("root overlay path").hasMessageContaining("option separator").hasMessageContaining("BANGER_HOME");
        assertRejected(b -> b.qmpSocket(Path.of("/a,b/api.sock"))).hasMessageContaining("QMP socket path");
    }

    @Test
    void everyPathIsChecked() {
        Path rel = Path.of("x");
        assertRejected(b -> b.initrd(rel)).hasMessageContaining("initrd path");
        assertRejected(b -> b.consoleLog(rel)).hasMessageContaining("console log path");
        assertRejected(b -> b.qmpSocket(rel)).hasMessageContaining("QMP socket path");
        assertRejected(b -> b.configDrive(rel)).hasMessageContaining("config drive path");
        assertRejected(b -> b.workDisk(rel)).hasMessageContaining("work disk path");
        assertRejected(b -> b.kernel(null)).hasMessageContaining("kernel path is missing");
        assertRejected(b -> b.rootOverlay(null)).hasMessageContaining("root overlay path is missing");
    }

    @Test
    void qmpSocketMustFitSunPath() {
        Path longSocket = Path.of("/" + "d".repeat(100) + "/api.sock");
        assertRejected(b -> b.qmpSocket(longSocket)).hasMessageContaining("Unix sockets allow 107").hasMessageContaining("shorter BANGER_HOME");
    }

    @Test
    void workDiskNeedsTheConfigDriveBeforeIt() {
        assertRejected(b -> b.configDrive(null)).hasMessageContaining("work disk needs a config drive");
        assertThat(QemuCommandTest.fullPlan().configDrive(null).workDisk(null).build().configDrive()).isEmpty();
    }

    @Test
    void oneFileOneRole() {
        assertRejected(b -> b.workDisk(Path.of("/var/lib/bh/vms/0123456789ab/root.qcow2"))).hasMessageContaining("two different roles");
        assertRejected(b -> b.consoleLog(Path.of("/var/lib/bh/vms/0123456789ab/api.sock"))).hasMessageContaining("two different roles");
    }

    @Test
    void nicValidation() {
        assertThatThrownBy(() -> new QemuPlan.Nic("bgr0123456789abc", "02:00:00:00:00:01"))
                .isInstanceOf(BangerException.class).hasMessageContaining("tap device name").hasMessageContaining("1-15 characters");
        assertThatThrownBy(() -> new QemuPlan.Nic("tap0,script=/bin/evil", "02:00:00:00:00:01"))
                .isInstanceOf(BangerException.class).hasMessageContaining("tap device name");
        assertThatThrownBy(() -> new QemuPlan.Nic("tap0", "01:00:00:00:00:01"))
                .isInstanceOf(BangerException.class).hasMessageContaining("MAC address '01:00:00:00:00:01' is invalid");
        assertThatThrownBy(() -> new QemuPlan.Nic("tap0", null))
                .isInstanceOf(BangerException.class).hasMessageContaining("MAC address '(none)'");
    }

    @Test
    void missingOptionalsMustBeEmptyNotNull() {
        QemuPlan p = QemuCommandTest.fullPlan().build();
        assertThatThrownBy(() -> new QemuPlan(p.name(), p.accel(), p.tcgTbSizeMib(), p.memoryMib(), p.vcpus(), p.kernel(), null,
                p.kernelArgs(), p.consoleLog(), p.qmpSocket(), p.rootOverlay(), p.configDrive(), p.workDisk(), p.nic(), p.vsockCid(), p.agentSocket(), p.incoming(), p.shares()))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("initrd");
    }

    @Test
    void aVsockCidMustBeAGuestCid() {
        for (long bad : new long[] {0, 1, 2, 0xFFFF_FFFFL, -1}) {
            assertThatThrownBy(() -> QemuCommandTest.fullPlan().vsockCid(bad).build()).as("CID %d", bad)
                    .hasMessageContaining("not a guest CID");
        }
        assertThat(QemuCommandTest.fullPlan().vsockCid(3).build().vsockCid()).hasValue(3);
    }
}
