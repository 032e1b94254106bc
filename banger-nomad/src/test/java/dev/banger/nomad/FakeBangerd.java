package dev.banger.nomad;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.Rpc;
import dev.banger.api.VmRecord;
import dev.banger.api.VmRuntime;
import dev.banger.api.VmSpec;
import dev.banger.api.VmState;
import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * bangerd as the driver sees it, in memory: VMs by id and name, one task per VM that ends as the test says, attach
 * and exec conversations replaying fixed records. Every call is logged ({@link #calls}) so a test can check the order.
 */
final class FakeBangerd implements Bangerd {
    final Map<String, VmRecord> vms = new ConcurrentHashMap<>();
    final Map<String, Params.TaskStatus> tasks = new ConcurrentHashMap<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    private final AtomicInteger ids = new AtomicInteger(0xabc000);
    /** When set, vm.task_start fails with it. */
    volatile BangerException failTaskStart;
    /** The exit code a task ends with when signalled with TERM (null: TERM is ignored, only KILL ends it). */
    volatile Integer exitOnTerm = 143;
    volatile boolean down;

    @Override
    @SuppressWarnings("unchecked")
    public <P, R> R call(Rpc<P, R> rpc, P params) {
        calls.add(rpc.name());
        if (down) {
            throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "bangerd is not running (fake)");
        }
        return (R) switch (rpc.name()) {
            case "daemon.status" -> FingerprintsTest.STATUS;
            case "vm.create" -> create((Params.VmCreate) params);
            case "vm.get" -> vm(((Params.VmRef) params).vm());
            case "vm.list" -> new Params.VmList(List.copyOf(vms.values()));
            case "vm.start" -> withState(vm(((Params.VmRef) params).vm()), VmState.RUNNING);
            case "vm.delete" -> {
                VmRecord v = vm(((Params.VmDelete) params).vm());
                vms.remove(v.id());
                tasks.remove(v.id());
                yield new Params.Deleted(v.id(), v.spec().name(), List.of());
            }
            case "vm.task_start" -> {
                Params.VmTaskStart s = (Params.VmTaskStart) params;
                VmRecord v = vm(s.vm());
                if (failTaskStart != null) {
                    throw failTaskStart;
                }
                Params.TaskStatus t = new Params.TaskStatus(v.spec().name(), v.id(), s.task(), "running", null, null, null,
                        "0badc0de", 321L, s.argv(), Instant.now(), null);
                tasks.put(v.id(), t);
                yield t;
            }
            case "vm.usage" -> {
                Params.VmUsage u = (Params.VmUsage) params;
                VmRecord v = vm(u.vm());
                calls.add("usage " + u.intervalMs());
                boolean runs = v.runtime().state() == VmState.RUNNING;
                yield new Params.VmUsageSample(v.spec().name(), v.id(), v.runtime().state().wireName(), v.spec().vcpus(),
                        runs ? 0.5 : null, runs ? 25.0 : null, runs ? 123L << 20 : null, u.intervalMs(), Instant.now());
            }
            case "vm.task_status" -> task(((Params.VmTaskRef) params).vm());
            case "vm.task_wait" -> task(((Params.VmTaskWait) params).vm());
            case "vm.task_signal" -> {
                Params.VmTaskSignal s = (Params.VmTaskSignal) params;
                Params.TaskStatus t = task(s.vm());
                if (!t.state().equals("running")) {
                    throw new BangerException(ErrorCode.FAILED_PRECONDITION, "has ended: nothing to signal");
                }
                calls.add("signal " + s.signal());
                if (s.signal().equals("KILL")) {
                    end(t.vmId(), 137);
                } else if (s.signal().equals("SIGTERM") && exitOnTerm != null) {
                    end(t.vmId(), exitOnTerm);
                }
                yield new Params.ExecSignalled(t.vm(), t.id(), 321, s.signal(), 15);
            }
            default -> throw new BangerException(ErrorCode.INTERNAL, "the fake has no " + rpc.name());
        };
    }

    @Override
    @SuppressWarnings("unchecked")
    public <P, R> Conversation<R> converse(Rpc<P, R> rpc, P params) {
        calls.add(rpc.name());
        ByteArrayOutputStream records = new ByteArrayOutputStream();
        try {
            switch (rpc.name()) {
                case "vm.task_attach" -> {
                    Params.TaskStatus t = task(((Params.VmTaskAttach) params).vm());
                    Records.write(records, Exec.STARTED, Records.u32(321));
                    Records.write(records, Exec.STDOUT, "hello\n".getBytes(StandardCharsets.UTF_8));
                    Records.write(records, Exec.STDERR, "oops\n".getBytes(StandardCharsets.UTF_8));
                    Records.write(records, Exec.EXIT, Records.u32(t.exitCode() == null ? 3 : t.exitCode()));
                }
                case "vm.exec" -> {
                    Params.VmExec e = (Params.VmExec) params;
                    vm(e.vm());
                    Records.write(records, Exec.STARTED, Records.u32(400));
                    Records.write(records, Exec.STDOUT, String.join(" ", e.argv()).getBytes(StandardCharsets.UTF_8));
                    Records.write(records, Exec.STDERR, "e".getBytes(StandardCharsets.UTF_8));
                    Records.write(records, Exec.EXIT, Records.u32(5));
                }
                default -> throw new BangerException(ErrorCode.INTERNAL, "the fake has no " + rpc.name());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return new Conversation<>((R) new Params.Conversation("vm", "exec-records/1", "serial"),
                new ByteArrayInputStream(records.toByteArray()), OutputStream.nullOutputStream(), () -> { });
    }

    @Override
    public String where() {
        return "/nonexistent/run/bangerd.sock";
    }

    void end(String vmId, int code) {
        end(vmId, code, null);
    }

    /** The task ends with {@code code}, and {@code signal} (null: none) as bangerd records it. */
    void end(String vmId, int code, Integer signal) {
        Params.TaskStatus t = tasks.get(vmId);
        tasks.put(vmId, new Params.TaskStatus(t.vm(), t.vmId(), t.task(), "exited", code, signal, null, t.id(), t.pid(), t.argv(),
                t.startedAt(), Instant.now()));
    }

    VmRecord vm(String ref) {
        VmRecord v = vms.get(ref);
        if (v == null) {
            v = vms.values().stream().filter(r -> r.spec().name().equals(ref)).findFirst().orElse(null);
        }
        if (v == null) {
            throw BangerException.notFound("no VM '" + ref + "'");
        }
        return v;
    }

    private Params.TaskStatus task(String vmRef) {
        VmRecord v = vm(vmRef);
        Params.TaskStatus t = tasks.get(v.id());
        if (t == null) {
            throw BangerException.notFound("VM '" + v.spec().name() + "' has no task 'main'");
        }
        return t;
    }

    /** A VM as a create long ago would have left it (for the orphan sweep). */
    VmRecord createdAt(Params.VmCreate c, Instant at) {
        VmRecord v = create(c);
        VmRecord old = new VmRecord(v.id(), v.spec(), v.runtime(), at, at, v.mounts(), v.publishes());
        vms.put(v.id(), old);
        return old;
    }

    private VmRecord create(Params.VmCreate c) {
        if (vms.values().stream().anyMatch(v -> v.spec().name().equals(c.name()))) {
            throw new BangerException(ErrorCode.NAME_TAKEN, "name taken");
        }
        String id = String.format("%012x", ids.incrementAndGet());
        VmRecord v = new VmRecord(id, new VmSpec(c.name(), c.image() == null ? "debian-bookworm" : c.image(),
                c.vcpus() == null ? 2 : c.vcpus(), c.memoryMib() == null ? 512 : c.memoryMib(), 0, 4096, "qemu"),
                new VmRuntime(VmState.STOPPED, "172.29.0.2", null, null, 3, null, null, c.name() + ".vm",
                        "/nonexistent/vms/" + id, null, null, null),
                Instant.now(), Instant.now(), List.of(), List.of());
        vms.put(id, v);
        return v;
    }

    private VmRecord withState(VmRecord v, VmState s) {
        VmRecord n = new VmRecord(v.id(), v.spec(), v.runtime().withState(s, null), v.createdAt(), Instant.now(),
                v.mounts(), v.publishes());
        vms.put(v.id(), n);
        return n;
    }

    List<String> vmNames() {
        return new ArrayList<>(vms.values().stream().map(v -> v.spec().name()).toList());
    }
}
