package dev.banger.cli;

import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.api.VmRecord;
import dev.banger.api.VmRuntime;
import dev.banger.core.Sizes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** banger vm ...: its verbs in the order help lists them, and the text form of what they print. */
final class VmVerbs {
    private VmVerbs() {
    }

    static List<Verb> all(CliContext ctx) {
        return List.of(
                new VmRunCommand(ctx),
                new VmCreateCommand(ctx),
                new CallVerb<>(ctx, "start", "Boot a VM and wait until SSH answers.", Rpcs.VM_START)
                        .on(Args.VM, Params.VmRef::new).withProgress().json("the VM")
                        .text((vm, c) -> c.out().println("started VM " + vm.name() + " (" + vm.runtime().guestIp() + ", "
                                + vm.runtime().dnsName() + ")")),
                new CallVerb<>(ctx, "stop", "Power a VM off (ACPI power button, then a kill after 30 s); its disks are kept.", Rpcs.VM_STOP)
                        .request(spec -> {
                            Args.VM.declare(spec);
                            Args.force(spec, "kill the VM at once instead of asking it to power off");
                        }, args -> new Params.VmStop(Args.VM.value(args), Args.force(args)))
                        .text((vm, c) -> c.out().println("stopped VM " + vm.name())),
                new VmRestartCommand(ctx),
                new CallVerb<>(ctx, "snapshot", "Save a running VM's memory, devices and disks as a snapshot (it pauses briefly and runs on).",
                        Rpcs.VM_SNAPSHOT).request(spec -> {
                            Args.VM.declare(spec);
                            spec.addOption(Verb.option("SNAP", String.class, "the snapshot's name (default: VM-YYYYMMDD-HHMMSS)", "--name"));
                        }, args -> new Params.VmSnapshot(Args.VM.value(args), args.matchedOptionValue("--name", null))).json("the snapshot")
                        .text((s, c) -> c.out().println("snapshot " + s.name() + " of VM " + s.sourceVm() + ": " + SnapshotVerbs.mib(s.sizeBytes())
                                + " on disk; the VM was paused " + s.pausedMs() + " ms")),
                new CallVerb<>(ctx, "fork", "Clone a running VM N ways: each child continues from the parent's state now, as its own "
                        + "machine (MAC, IP, hostname, keys, machine-id, RNG); the parent runs on.", Rpcs.VM_FORK).request(spec -> {
                            Args.VM.declare(spec);
                            spec.addOption(Verb.option("N", Integer.class, "how many children, 1-16 (default 1)", "--count"));
                            spec.addOption(Verb.option("PREFIX", String.class, "children are PREFIX-1..N (default: the parent's name)", "--name"));
                        }, args -> new Params.VmFork(Args.VM.value(args), args.matchedOptionValue("--count", null),
                                args.matchedOptionValue("--name", null))).withProgress().json("the fork")
                        .text(VmVerbs::forked),
                new VmSshCommand(ctx),
                new VmExecCommand(ctx),
                new VmCpCommand(ctx),
                new VmLogsCommand(ctx),
                new CallVerb<>(ctx, "list", "List VMs.", Rpcs.VM_LIST, "ls").json("the VMs").text(VmVerbs::table),
                new CallVerb<>(ctx, "show", "Show one VM in detail.", Rpcs.VM_GET, "inspect")
                        .on(Args.VM, Params.VmRef::new).json("the VM").text(VmVerbs::details),
                new CallVerb<>(ctx, "publish", "Publish a guest port on the host: [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp] "
                        + "(HOST_IP defaults to 127.0.0.1); kept across stop and start.", Rpcs.VM_PUBLISH).request(spec -> {
                            Args.VM.declare(spec);
                            spec.addPositional(Verb.parameter("SPEC", "1", "1", "[HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]"));
                        }, args -> new Params.VmPublish(Args.VM.value(args), args.matchedPositional(1).getValue()))
                        .json("the VM").text(VmVerbs::published),
                new CallVerb<>(ctx, "unpublish", "Stop publishing a host port: the --publish spec, or HOST_PORT[/tcp|/udp].",
                        Rpcs.VM_UNPUBLISH).request(spec -> {
                            Args.VM.declare(spec);
                            spec.addPositional(Verb.parameter("SPEC", "1", "1", "HOST_PORT[/tcp|/udp] or the whole spec"));
                        }, args -> new Params.VmPublish(Args.VM.value(args), args.matchedPositional(1).getValue()))
                        .json("the VM").text(VmVerbs::published),
                new CallVerb<>(ctx, "ports", "Show what listens inside a VM: PROTO ENDPOINT PROCESS COMMAND (http/https as links).",
                        Rpcs.VM_PORTS).on(Args.VM, Params.VmRef::new).json("the listeners").text(VmVerbs::ports),
                new VmDeleteCommand(ctx));
    }

    /** Starts a VM showing boot progress on stderr (vm run and vm restart). */
    static VmRecord start(CliContext ctx, String vm) {
        return ProgressPrinter.call(ctx, Rpcs.VM_START, new Params.VmRef(vm));
    }

    private static void forked(Params.VmForked f, CliContext ctx) {
        Table t = new Table("NAME", "IP", "DNS");
        f.children().forEach(vm -> t.row(vm.name(), vm.runtime().guestIp(), vm.runtime().dnsName()));
        t.print(ctx.out());
        ctx.out().println("forked VM " + f.parent() + " into " + f.children().size() + " in " + f.millis() + " ms (the parent was paused "
                + f.pausedMs() + " ms; their shared layer is snapshot " + f.snapshot() + ")");
    }

    private static void table(Params.VmList list, CliContext ctx) {
        Table t = new Table("NAME", "STATE", "IP", "DNS", "IMAGE", "CPUS", "MEMORY", "AGE");
        Instant now = Instant.now();
        for (VmRecord vm : list.vms()) {
            t.row(vm.name(), vm.state().wireName(), vm.runtime().guestIp(), vm.runtime().dnsName(), vm.spec().image(),
                    Integer.toString(vm.spec().vcpus()), Sizes.formatMib(vm.spec().memoryMib()),
                    Durations.shortForm(Duration.between(vm.createdAt(), now)));
        }
        t.print(ctx.out());
    }

    private static void details(VmRecord v, CliContext ctx) {
        VmRuntime r = v.runtime();
        Table.fields(ctx.out(), new String[][] {
                {"Name", v.name()}, {"ID", v.id()}, {"State", r.state().wireName()}, {"Image", v.spec().image()}, {"VMM", v.spec().vmm()},
                {"vCPUs", Integer.toString(v.spec().vcpus())}, {"Memory", Sizes.formatMib(v.spec().memoryMib())},
                {"Root disk", v.spec().rootDiskMib() == 0 ? "image size" : Sizes.formatMib(v.spec().rootDiskMib())},
                {"Work disk", Sizes.formatMib(v.spec().workDiskMib())},
                {"Guest IP", r.guestIp()}, {"DNS name", r.dnsName()}, {"Created", v.createdAt().toString()},
                {"Updated", v.updatedAt().toString()}, {"VM dir", r.vmDir()}, {"API socket", r.apiSockPath()},
                {"vsock", r.vsockPath() + " (CID " + r.vsockCid() + ")"}, {"Console log", r.logPath()},
                {"Metrics", r.metricsPath()}, {"System overlay", r.systemOverlay()}, {"Work disk file", r.workDiskPath()},
                {"Last error", r.lastError()}});
        for (var p : v.publishes()) {
            Table.fields(ctx.out(), new String[][] {{"Published", p.spec() + (p.auto() ? " (automatic: follows the guest's listener)" : "")}});
        }
        mounts(v, ctx);
    }

    /** A VM's host directories, one line each: where, read-only or not, and the host user the guest's root acts as. */
    private static void mounts(VmRecord v, CliContext ctx) {
        for (int i = 0; i < v.mounts().size(); i++) {
            var m = v.mounts().get(i);
            Table.fields(ctx.out(), new String[][] {{"Mount " + i, m.hostDir() + " -> " + m.guestDir() + (m.readOnly() ? " (ro" : " (rw")
                    + ", guest root acts as uid " + m.uid() + ")"}});
        }
    }

    /** The VM's published ports after a publish or unpublish, one per line. */
    private static void published(VmRecord v, CliContext ctx) {
        if (v.publishes().isEmpty()) {
            ctx.out().println(v.name() + " publishes no ports");
        }
        for (var p : v.publishes()) {
            ctx.out().println(p.hostIp() + ":" + p.hostPort() + " -> " + v.name() + ":" + p.guestPort() + "/" + p.protocol()
                    + (p.auto() ? " (automatic)" : ""));
        }
        ctx.out().flush();
    }

    /** http and https endpoints as URLs and, on a terminal, as clickable hyperlinks. */
    private static void ports(Params.VmPorts ports, CliContext ctx) {
        Table t = new Table("PROTO", "ENDPOINT", "PROCESS", "COMMAND");
        for (Params.PortRow r : ports.ports()) {
            String endpoint = r.url() != null ? r.url() : r.reachable() ? r.endpoint() : r.endpoint() + " (inside the VM only)";
            t.row(r.proto(), endpoint, r.process(), r.command());
            if (r.url() != null && ctx.terminal()) {
                t.link(1, r.url());
            }
        }
        t.print(ctx.out());
        if (ports.skipped() > 0) {
            ctx.err().println("banger: " + ports.skipped() + " line(s) of the guest's ss output could not be read and were skipped");
            ctx.err().flush();
        }
    }
}
