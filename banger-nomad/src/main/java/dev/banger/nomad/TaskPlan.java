package dev.banger.nomad;

import dev.banger.api.Params;
import dev.banger.core.Text;
import dev.banger.core.exec.ExecRules;
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
 *   cpuset), else the task's {@code resources { cpu }} in MHz over the MHz of one host core, rounded up (Nomad counts a
 *   node's CPU as its cores times that figure, so a task gets the cores its MHz stand for: its default 100 MHz is one
 *   vCPU), else bangerd's default (a host whose core speed is not known);</li>
 *   <li>the command: {@code config.command}, an argv run as given (never through a shell), with Nomad's task
 *   environment; variables whose names bangerd would refuse (not {@code [A-Za-z_][A-Za-z0-9_]*}) are left out and
 *   named in {@link #droppedEnv}; as the task's {@code user} (a name or uid), else as the image's default (root);</li>
 *   <li>refused: Nomad devices and volume mounts, which banger does not map into a VM.</li>
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
     * @param cpuMhzPerCore the MHz of one host core as Nomad counts it ({@link HostProbe#cpuMhzPerCore}), 0 if unknown
     * @throws ConfigException naming the job file's field when the task cannot run as given
     */
    static TaskPlan of(DriverOuterClass.TaskConfig task, TaskConfig config, long cpuMhzPerCore) {
        if (config.command().isEmpty()) {
            throw new ConfigException("config.command is required: the program and its arguments to run in the VM, "
                    + "such as [\"sh\", \"-c\", \"echo hello\"]");
        }
        refuseDevicesAndVolumes(task);
        String name = TaskNames.vmName(task.getId());
        Params.VmCreate create = new Params.VmCreate(name, config.image(), vcpus(task, config, cpuMhzPerCore),
                memoryMib(task, config), null, null, null, null, null, config.publish(), config.mount());
        List<String> dropped = new ArrayList<>();
        Map<String, String> env = env(task.getEnvMap(), dropped);
        Params.VmTaskStart start = new Params.VmTaskStart(name, DriverState.TASK, config.command(), env, null,
                user(task.getUser()), READY_TIMEOUT_MS);
        return new TaskPlan(create, start, List.copyOf(dropped));
    }

    /**
     * The task's {@code user} as bangerd takes it (a name or uid, {@code ExecRules}' rule); null when the job sets none,
     * so the command runs as the image's default. Whether the guest has that user is the agent's to say at start.
     */
    static String user(String user) {
        if (user == null || user.isEmpty()) {
            return null;
        }
        if (!ExecRules.isUser(user)) {
            throw new ConfigException("the task's user '" + Text.printable(user, 40) + "' is not a user "
                    + "name or uid (such as \"app\" or \"1000\"): set the task's user to an account of the VM's image");
        }
        return user;
    }

    /**
     * Nomad's devices (a device plugin's reservation, {@code device} in the job's resources) and volume mounts
     * ({@code volume_mount}, host and CSI volumes) would be host paths bound into a container: a VM has its own kernel
     * and file system, and banger maps neither into it. Refused rather than left out, so the job is not run without them.
     */
    static void refuseDevicesAndVolumes(DriverOuterClass.TaskConfig task) {
        if (task.getDevicesCount() > 0) {
            throw new ConfigException("the task asks for Nomad devices (" + paths(task.getDevicesList().stream()
                    .map(DriverOuterClass.Device::getHostPath).toList()) + "): banger maps no Nomad device into a VM; "
                    + "remove the task's device blocks, and give the VM what it needs through its image");
        }
        if (task.getMountsCount() > 0) {
            throw new ConfigException("the task asks for Nomad volume mounts (" + paths(task.getMountsList().stream()
                    .map(DriverOuterClass.Mount::getTaskPath).toList()) + "): banger maps no Nomad volume into a VM; "
                    + "remove the task's volume_mount blocks and share a host directory with config.mount "
                    + "(\"/srv/data:/data:ro\"), or put the files in the VM's image");
        }
    }

    private static String paths(List<String> paths) {
        List<String> shown = paths.stream().limit(4).map(p -> Text.printable(p, 80)).toList();
        return String.join(", ", shown) + (paths.size() > shown.size() ? ", ..." : "");
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

    /** The VM's vCPUs: config.cpus, else the reserved cores, else the MHz over one core's, else null (bangerd's default). */
    static Integer vcpus(DriverOuterClass.TaskConfig task, TaskConfig config, long cpuMhzPerCore) {
        if (config.cpus() != null) {
            return config.cpus();
        }
        int cores = cpusetSize(task.getResources().getLinuxResources().getCpusetCpus());
        if (cores > 0) {
            return Math.min(TaskConfig.MAX_VCPUS, cores);
        }
        return vcpusOfMhz(task.getResources().getAllocatedResources().getCpu().getCpuShares(), cpuMhzPerCore);
    }

    /** ceil(mhz / mhzPerCore) in [1, MAX_VCPUS]; null when either is not known (0 or less). */
    static Integer vcpusOfMhz(long mhz, long mhzPerCore) {
        if (mhz <= 0 || mhzPerCore <= 0) {
            return null;
        }
        return Math.clamp(Math.ceilDiv(mhz, mhzPerCore), TaskConfig.MIN_VCPUS, TaskConfig.MAX_VCPUS);
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
