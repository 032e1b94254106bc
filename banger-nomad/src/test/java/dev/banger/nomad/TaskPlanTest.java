package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.Params;
import dev.banger.nomad.cty.ConfigException;
import dev.banger.nomad.cty.TaskConfig;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.AllocatedCpuResources;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.AllocatedMemoryResources;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.AllocatedTaskResources;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.LinuxResources;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskPlanTest {
    static final String ID = "0b9b2b1e-aaaa-bbbb-cccc-0123456789ab/hello/5e6f7a8b";

    static DriverOuterClass.TaskConfig task(long memoryMb, String cpuset, Map<String, String> env) {
        return DriverOuterClass.TaskConfig.newBuilder()
                .setId(ID).setName("hello")
                .putAllEnv(env)
                .setResources(Resources.newBuilder()
                        .setAllocatedResources(AllocatedTaskResources.newBuilder()
                                .setMemory(AllocatedMemoryResources.newBuilder().setMemoryMb(memoryMb)))
                        .setLinuxResources(LinuxResources.newBuilder().setCpusetCpus(cpuset)))
                .build();
    }

    @Test
    void configWinsOverResources() {
        TaskConfig c = new TaskConfig("alpine", 2, 1024, List.of("sh", "-c", "echo hi"), List.of("8080:80"),
                List.of("/srv:/data:ro"));
        TaskPlan p = TaskPlan.of(task(300, "0-3", Map.of()), c, 0);
        assertThat(p.create()).isEqualTo(new Params.VmCreate(TaskNames.vmName(ID), "alpine", 2, 1024, null, null, null,
                null, null, List.of("8080:80"), List.of("/srv:/data:ro")));
        assertThat(p.start().argv()).containsExactly("sh", "-c", "echo hi");
        assertThat(p.start().vm()).isEqualTo(TaskNames.vmName(ID));
        assertThat(p.start().task()).isEqualTo("main");
    }

    @Test
    void resourcesFillWhatTheConfigLeavesOut() {
        TaskConfig c = new TaskConfig(null, null, null, List.of("true"), List.of(), List.of());
        TaskPlan p = TaskPlan.of(task(300, "0-3,8", Map.of()), c, 0);
        assertThat(p.create().image()).isNull(); // bangerd's default image
        assertThat(p.create().memoryMib()).isEqualTo(300);
        assertThat(p.create().vcpus()).isEqualTo(5);
        assertThat(TaskPlan.of(task(64, "", Map.of()), c, 0).create().memoryMib()).isEqualTo(128); // banger's least
        assertThat(TaskPlan.of(task(0, "", Map.of()), c, 0).create().memoryMib()).isNull();
        assertThat(TaskPlan.of(task(0, "", Map.of()), c, 0).create().vcpus()).isNull();
    }

    static DriverOuterClass.TaskConfig withMhz(DriverOuterClass.TaskConfig t, long mhz) {
        return t.toBuilder().setResources(t.getResources().toBuilder().setAllocatedResources(t.getResources()
                .getAllocatedResources().toBuilder().setCpu(AllocatedCpuResources.newBuilder().setCpuShares(mhz)))).build();
    }

    @Test
    void mhzMapToTheCoresTheyStandForAfterConfigAndReservedCores() {
        TaskConfig c = new TaskConfig(null, null, null, List.of("true"), List.of(), List.of());
        assertThat(TaskPlan.of(withMhz(task(0, "", Map.of()), 2000), c, 2400).create().vcpus()).isEqualTo(1);
        assertThat(TaskPlan.of(withMhz(task(0, "", Map.of()), 2401), c, 2400).create().vcpus()).isEqualTo(2);
        assertThat(TaskPlan.of(withMhz(task(0, "", Map.of()), 100), c, 2400).create().vcpus()).as("Nomad's default")
                .isEqualTo(1);
        assertThat(TaskPlan.of(withMhz(task(0, "", Map.of()), 1_000_000), c, 2400).create().vcpus())
                .isEqualTo(TaskConfig.MAX_VCPUS);
        assertThat(TaskPlan.of(withMhz(task(0, "", Map.of()), 2000), c, 0).create().vcpus())
                .as("a host whose core speed is unknown: bangerd's default").isNull();
        assertThat(TaskPlan.of(withMhz(task(0, "0-3", Map.of()), 2000), c, 2400).create().vcpus())
                .as("reserved cores win over MHz").isEqualTo(4);
        TaskConfig cpus = new TaskConfig(null, 6, null, List.of("true"), List.of(), List.of());
        assertThat(TaskPlan.of(withMhz(task(0, "0-3", Map.of()), 2000), cpus, 2400).create().vcpus())
                .as("config.cpus wins over both").isEqualTo(6);
        assertThat(TaskPlan.vcpusOfMhz(Long.MAX_VALUE, 1)).isEqualTo(TaskConfig.MAX_VCPUS);
        assertThat(TaskPlan.vcpusOfMhz(-5, 2400)).isNull();
    }

    @Test
    void theTasksUserRunsTheCommandAndABadOneIsRefusedNamingIt() {
        TaskConfig c = new TaskConfig(null, null, null, List.of("id"), List.of(), List.of());
        assertThat(TaskPlan.of(task(0, "", Map.of()), c, 0).start().user()).as("the image's default").isNull();
        for (String ok : List.of("app", "www-data", "_svc", "1000", "0", "user.name", "a".repeat(32))) {
            assertThat(TaskPlan.of(task(0, "", Map.of()).toBuilder().setUser(ok).build(), c, 0).start().user())
                    .isEqualTo(ok);
        }
        for (String bad : List.of("root; rm -rf /", "-u", "a b", "a".repeat(33), "12345678901", "bob\n", "ü")) {
            assertThatThrownBy(() -> TaskPlan.of(task(0, "", Map.of()).toBuilder().setUser(bad).build(), c, 0))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("the task's user '")
                    .hasMessageContaining("is not a user name or uid");
        }
    }

    @Test
    void nomadDevicesAndVolumeMountsAreRefusedSayingWhatToUseInstead() {
        TaskConfig c = new TaskConfig(null, null, null, List.of("true"), List.of(), List.of());
        DriverOuterClass.TaskConfig devices = task(0, "", Map.of()).toBuilder()
                .addDevices(DriverOuterClass.Device.newBuilder().setHostPath("/dev/nvidia0").setTaskPath("/dev/nvidia0"))
                .build();
        assertThatThrownBy(() -> TaskPlan.of(devices, c, 0)).isInstanceOf(ConfigException.class)
                .hasMessage("the task asks for Nomad devices (/dev/nvidia0): banger maps no Nomad device into a VM; "
                        + "remove the task's device blocks, and give the VM what it needs through its image");
        DriverOuterClass.TaskConfig.Builder mounts = task(0, "", Map.of()).toBuilder();
        for (int i = 0; i < 6; i++) {
            mounts.addMounts(DriverOuterClass.Mount.newBuilder().setHostPath("/srv/v" + i).setTaskPath("/data" + i));
        }
        assertThatThrownBy(() -> TaskPlan.of(mounts.build(), c, 0)).isInstanceOf(ConfigException.class)
                .hasMessage("the task asks for Nomad volume mounts (/data0, /data1, /data2, /data3, ...): banger maps no "
                        + "Nomad volume into a VM; remove the task's volume_mount blocks and share a host directory with "
                        + "config.mount (\"/srv/data:/data:ro\"), or put the files in the VM's image");
    }

    @Test
    void cpusets() {
        assertThat(TaskPlan.cpusetSize("0")).isEqualTo(1);
        assertThat(TaskPlan.cpusetSize("0-3, 6-7")).isEqualTo(6);
        assertThat(TaskPlan.cpusetSize("3-1")).isZero();
        assertThat(TaskPlan.cpusetSize("a")).isZero();
        assertThat(TaskPlan.cpusetSize("0-99999")).isZero();
    }

    @Test
    void environmentKeepsWhatBangerdTakes() {
        List<String> dropped = new ArrayList<>();
        Map<String, String> env = TaskPlan.env(Map.of("NOMAD_TASK_NAME", "hello", "bad.name", "x", "1X", "y",
                "NUL", "a\0b"), dropped);
        assertThat(env).containsExactly(Map.entry("NOMAD_TASK_NAME", "hello"));
        assertThat(dropped).containsExactlyInAnyOrder("bad.name", "1X", "NUL");
    }

    @Test
    void aTaskWithoutCommandIsRefusedNamingTheField() {
        TaskConfig c = new TaskConfig("alpine", null, null, List.of(), List.of(), List.of());
        assertThatThrownBy(() -> TaskPlan.of(task(300, "", Map.of()), c, 0)).hasMessageStartingWith("config.command is required");
    }
}
