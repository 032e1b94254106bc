package dev.banger.nomad;

import dev.banger.api.Params;
import dev.banger.nomad.cty.ConfigException;
import dev.banger.nomad.cty.TaskConfig;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What StartTask asks of bangerd for one Nomad task, decided from the task alone (no I/O): the VM to create and the
 * task to start in it.
 *
 * <ul>
 *   <li>memory: the job's {@code config.memory}, else the task's {@code resources { memory }} (MiB, at least 128,
 *   banger's smallest VM), else bangerd's default;</li>
 *   <li>vCPUs: {@code config.cpus}, else as many as the task's reserved cores ({@code resources { cores }}, Nomad's
 *   cpuset), else bangerd's default. A {@code resources { cpu }} in MHz is Nomad's bookkeeping and maps to no vCPU
 *   count;</li>
 *   <li>the command: {@code config.command}, an argv run as given (never through a shell), with Nomad's task
 *   environment; variables whose names bangerd would refuse (not {@code [A-Za-z_][A-Za-z0-9_]*}) are left out and
 *   named in {@link #droppedEnv}.</li>
 * </ul>
 */
record TaskPlan(Params.VmCreate create, Params.VmTaskStart start, List<String> droppedEnv) {
    static final int MIN_MEMORY_MIB = TaskConfig.MIN_MEMORY_MIB;
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** bangerd's bounds on a command (docs/API.md, vm.exec): the plan stays inside them so the refusal is ours. */
    private static final int MAX_ENV = 1024;
    private static final int MAX_ENV_BYTES = 32 * 1024;
    /**
     * The guest-ready wait of vm.task_start: the VM was just started (vm.start answers once its guest is up), so this is
     * short; it stays under the 60 s a DaemonClient waits for an answer.
     */
    static final long READY_TIMEOUT_MS = 50_000;

    /**
     * The plan of {@code task} whose decoded config is {@code config}.
     *
     * @throws ConfigException naming the job file's field when the task cannot run as given
     */
    static TaskPlan of(DriverOuterClass.TaskConfig task, TaskConfig config) {
        if (config.command().isEmpty()) {
            throw new ConfigException("config.command is required: the program and its arguments to run in the VM, "
                    + "such as [\"sh\", \"-c\", \"echo hello\"]");
        }
        String name = TaskNames.vmName(task.getId());
        Params.VmCreate create = new Params.VmCreate(name, config.image(), vcpus(task, config), memoryMib(task, config),
                null, null, null, null, null, config.publish(), config.mount());
        List<String> dropped = new ArrayList<>();
        Map<String, String> env = env(task.getEnvMap(), dropped);
        Params.VmTaskStart start = new Params.VmTaskStart(name, DriverState.TASK, config.command(), env, null, null,
                READY_TIMEOUT_MS);
        return new TaskPlan(create, start, List.copyOf(dropped));
    }

    static Integer memoryMib(DriverOuterClass.TaskConfig task, TaskConfig config) {
        if (config.memoryMib() != null) {
            return config.memoryMib();
        }
        long mb = task.getResources().getAllocatedResources().getMemory().getMemoryMb();
        if (mb <= 0) {
            return null;
        }
        return (int) Math.min(TaskConfig.MAX_MEMORY_MIB, Math.max(MIN_MEMORY_MIB, mb));
    }

    static Integer vcpus(DriverOuterClass.TaskConfig task, TaskConfig config) {
        if (config.cpus() != null) {
            return config.cpus();
        }
        int cores = cpusetSize(task.getResources().getLinuxResources().getCpusetCpus());
        return cores <= 0 ? null : Math.min(TaskConfig.MAX_VCPUS, cores);
    }

    /** How many CPUs a cpuset list names ("0-3,8" is 5); 0 for an empty or malformed one. */
    static int cpusetSize(String cpuset) {
        if (cpuset == null || cpuset.isBlank()) {
            return 0;
        }
        int n = 0;
        for (String part : cpuset.trim().split(",")) {
            String[] range = part.trim().split("-");
            try {
                if (range.length == 1) {
                    Integer.parseInt(range[0]);
                    n++;
                } else if (range.length == 2) {
                    int from = Integer.parseInt(range[0]);
                    int to = Integer.parseInt(range[1]);
                    if (to < from) {
                        return 0;
                    }
                    n += to - from + 1;
                } else {
                    return 0;
                }
            } catch (NumberFormatException e) {
                return 0;
            }
            if (n > 4096) {
                return 0;
            }
        }
        return n;
    }

    /** Nomad's environment as bangerd takes it: sorted, valid names only, bounded in count and size. */
    static Map<String, String> env(Map<String, String> nomad, List<String> dropped) {
        Map<String, String> env = new TreeMap<>();
        int bytes = 0;
        for (Map.Entry<String, String> e : new TreeMap<>(nomad).entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            int size = k.length() + v.length() + 2;
            if (!ENV_NAME.matcher(k).matches() || v.indexOf('\0') >= 0 || env.size() >= MAX_ENV
                    || bytes + size > MAX_ENV_BYTES) {
                dropped.add(k);
                continue;
            }
            env.put(k, v);
            bytes += size;
        }
        return env;
    }
}
