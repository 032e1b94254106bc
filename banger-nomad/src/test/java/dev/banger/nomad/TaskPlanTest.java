package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.Params;
import dev.banger.nomad.cty.TaskConfig;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass;
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
        TaskPlan p = TaskPlan.of(task(300, "0-3", Map.of()), c);
        assertThat(p.create()).isEqualTo(new Params.VmCreate(TaskNames.vmName(ID), "alpine", 2, 1024, null, null, null,
                null, null, List.of("8080:80"), List.of("/srv:/data:ro")));
        assertThat(p.start().argv()).containsExactly("sh", "-c", "echo hi");
        assertThat(p.start().vm()).isEqualTo(TaskNames.vmName(ID));
        assertThat(p.start().task()).isEqualTo("main");
    }

    @Test
    void resourcesFillWhatTheConfigLeavesOut() {
        TaskConfig c = new TaskConfig(null, null, null, List.of("true"), List.of(), List.of());
        TaskPlan p = TaskPlan.of(task(300, "0-3,8", Map.of()), c);
        assertThat(p.create().image()).isNull(); // bangerd's default image
        assertThat(p.create().memoryMib()).isEqualTo(300);
        assertThat(p.create().vcpus()).isEqualTo(5);
        assertThat(TaskPlan.of(task(64, "", Map.of()), c).create().memoryMib()).isEqualTo(128); // banger's least
        assertThat(TaskPlan.of(task(0, "", Map.of()), c).create().memoryMib()).isNull();
        assertThat(TaskPlan.of(task(0, "", Map.of()), c).create().vcpus()).isNull();
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
        assertThatThrownBy(() -> TaskPlan.of(task(300, "", Map.of()), c)).hasMessageStartingWith("config.command is required");
    }
}
