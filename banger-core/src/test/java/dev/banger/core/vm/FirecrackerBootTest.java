package dev.banger.core.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class FirecrackerBootTest {
    private static final Path DIR = Path.of("/var/lib/banger/vms/0123456789abcdef");

    private static FirecrackerBoot boot(List<FirecrackerBoot.Drive> drives, OptionalLong cid) {
        return new FirecrackerBoot(DIR.resolve("firecracker.log"), DIR.resolve("metrics.json"), 2, 1024,
                Path.of("/img/vmlinux"), Optional.of(Path.of("/img/initrd.img")), "console=ttyS0 root=/dev/vda rw", drives,
                Optional.of(new FirecrackerBoot.Nic("tap-0123", "02:fc:00:00:00:01")), cid,
                cid.isPresent() ? Optional.of(DIR.resolve("vsock.sock")) : Optional.empty());
    }

    private static List<FirecrackerBoot.Drive> drives() {
        return List.of(new FirecrackerBoot.Drive("rootfs", Path.of("/dev/mapper/banger-0123"), true, false),
                new FirecrackerBoot.Drive("config", DIR.resolve("config.img"), false, true),
                new FirecrackerBoot.Drive("work", DIR.resolve("work.img"), false, false));
    }

    @Test
    void theRequestsComeInFirecrackersBootOrder() {
        List<FirecrackerBoot.Call> calls = boot(drives(), OptionalLong.of(7)).calls();
        assertThat(calls).extracting(FirecrackerBoot.Call::path).containsExactly("/logger", "/metrics", "/machine-config",
                "/boot-source", "/drives/rootfs", "/drives/config", "/drives/work", "/network-interfaces/eth0", "/vsock");
        assertThat(calls).extracting(FirecrackerBoot.Call::method).containsOnly("PUT");
        assertThat(calls.get(2).body()).isEqualTo(Map.of("vcpu_count", 2, "mem_size_mib", 1024, "smt", false));
        assertThat(calls.get(3).body()).isEqualTo(Map.of("kernel_image_path", "/img/vmlinux", "initrd_path", "/img/initrd.img",
                "boot_args", "console=ttyS0 root=/dev/vda rw"));
        assertThat(calls.get(4).body()).isEqualTo(Map.of("drive_id", "rootfs", "path_on_host", "/dev/mapper/banger-0123",
                "is_root_device", true, "is_read_only", false));
        assertThat(calls.get(5).body()).containsEntry("is_read_only", true).containsEntry("is_root_device", false);
        assertThat(calls.get(7).body()).isEqualTo(Map.of("iface_id", "eth0", "host_dev_name", "tap-0123", "guest_mac", "02:fc:00:00:00:01"));
        assertThat(calls.get(8).body()).isEqualTo(Map.of("guest_cid", 7L, "uds_path", DIR.resolve("vsock.sock").toString()));
        assertThat(FirecrackerBoot.instanceStart().body()).isEqualTo(Map.of("action_type", "InstanceStart"));
        assertThat(FirecrackerBoot.sendCtrlAltDel()).isEqualTo(new FirecrackerBoot.Call("PUT", "/actions",
                Map.of("action_type", "SendCtrlAltDel")));
    }

    @Test
    void withoutVsockThereIsNoVsockRequest() {
        assertThat(boot(drives(), OptionalLong.empty()).calls()).extracting(FirecrackerBoot.Call::path).doesNotContain("/vsock");
    }

    @Test
    void theRootDriveMustComeFirstAndBeTheOnlyOne() {
        List<FirecrackerBoot.Drive> d = drives();
        assertThatThrownBy(() -> boot(List.of(d.get(1), d.get(0)), OptionalLong.empty())).hasMessageContaining("root drive");
        assertThatThrownBy(() -> boot(List.of(d.get(0), new FirecrackerBoot.Drive("b", DIR.resolve("x"), true, false)),
                OptionalLong.empty())).hasMessageContaining("root drive");
        assertThatThrownBy(() -> boot(List.of(), OptionalLong.empty())).hasMessageContaining("root drive");
        assertThatThrownBy(() -> boot(List.of(d.get(0), new FirecrackerBoot.Drive("rootfs", DIR.resolve("x"), false, false)),
                OptionalLong.empty())).hasMessageContaining("unique");
    }

    @Test
    void hostileValuesAreRefused() {
        assertThatThrownBy(() -> new FirecrackerBoot.Drive("../x", DIR, false, false)).hasMessageContaining("drive id");
        assertThatThrownBy(() -> new FirecrackerBoot.Drive("ok", Path.of("rel/path"), false, false)).hasMessageContaining("absolute");
        assertThatThrownBy(() -> new FirecrackerBoot.Nic("tap;rm", "02:fc:00:00:00:01")).hasMessageContaining("tap");
        assertThatThrownBy(() -> new FirecrackerBoot.Nic("tap0", "02:FC:00:00:00:01;")).hasMessageContaining("MAC");
        assertThatThrownBy(() -> boot(drives(), OptionalLong.of(2))).hasMessageContaining("CID");
        assertThatThrownBy(() -> boot(drives(), OptionalLong.of(0x1_0000_0000L))).hasMessageContaining("CID");
        assertThatThrownBy(() -> new FirecrackerBoot(DIR.resolve("l"), DIR.resolve("m"), 1, 128, Path.of("/k"), Optional.empty(),
                "console=ttyS0\ninit=/bin/sh", drives(), Optional.empty(), OptionalLong.empty(), Optional.empty()))
                .hasMessageContaining("printable");
    }

    @Test
    void theFirecrackerKernelLineResetsInsteadOfRebooting() {
        String line = KernelArgs.defaults().withVerbosity(KernelArgs.Verbosity.QUIET).firecrackerLine();
        assertThat(line).startsWith("console=ttyS0 root=/dev/vda rw banger.init=/sbin/banger-init panic=1 reboot=k pci=off")
                .contains("i8042.dumbkbd").contains("cryptomgr.notests").endsWith(" quiet").doesNotContain("tsc").doesNotContain("reboot=t");
        assertThat(KernelArgs.defaults().withBoot(KernelArgs.BootStyle.SYSTEMD).firecrackerLine())
                .contains("banger.init=/lib/systemd/systemd").doesNotContain("quiet");
    }

    @Test
    void aRunningFirecrackerIsKnownByItsApiSocket() {
        Path sock = DIR.resolve("api.sock");
        List<String> argv = FirecrackerCommand.argv("/usr/bin/firecracker", sock, "0123456789abcdef");
        assertThat(argv).containsExactly("/usr/bin/firecracker", "--api-sock", sock.toString(), "--id", "0123456789abcdef");
        assertThat(FirecrackerCommand.isFirecrackerWithApiSocket(argv, sock)).isTrue();
        assertThat(FirecrackerCommand.isFirecrackerWithApiSocket(argv, DIR.resolve("other.sock"))).isFalse();
        assertThat(FirecrackerCommand.apiSocketOf(List.of("java", "-cp", "x", "Main", "--api-sock=" + sock))).contains(sock);
        assertThat(FirecrackerCommand.apiSocketOf(List.of("fc", "--api-sock", "relative.sock"))).isEmpty();
        assertThat(FirecrackerCommand.apiSocketOf(List.of("fc", "--api-sock", "/a", "--api-sock", "/b"))).isEmpty();
        assertThat(FirecrackerCommand.apiSocketOf(List.of("fc", "--api-sock"))).isEmpty();
        assertThat(FirecrackerCommand.apiSocketOf(List.of("--api-sock", "/a"))).as("argv[0] is the program").isEmpty();
        assertThatThrownBy(() -> FirecrackerCommand.argv("fc", sock, "../etc")).hasMessageContaining("instance id");
    }

    @Test
    void aJailedFirecrackerIsKnownByItsInstanceId() {
        Path sock = DIR.resolve("api.sock");
        // What the jailer execs in the chroot: its own --id first, then banger's arguments.
        List<String> jailed = List.of("/firecracker", "--id", "0123456789ab", "--start-time-us", "1", "--api-sock", "/api.sock");
        assertThat(FirecrackerCommand.isFirecrackerOf(jailed, sock, "0123456789ab")).isTrue();
        assertThat(FirecrackerCommand.isFirecrackerOf(jailed, sock, "ba9876543210")).as("another VM's jail").isFalse();
        assertThat(FirecrackerCommand.isFirecrackerOf(List.of("/firecracker", "--id", "0123456789ab", "--api-sock", "/other.sock"),
                sock, "0123456789ab")).isFalse();
        assertThat(FirecrackerCommand.isFirecrackerOf(List.of("/fc", "--id", "0123456789ab", "--id", "x", "--api-sock", "/api.sock"),
                sock, "0123456789ab")).as("two ids: not a command line banger made").isFalse();
        assertThat(FirecrackerCommand.isFirecrackerOf(FirecrackerCommand.argv("fc", sock, "0123456789ab"), sock, "0123456789ab")).isTrue();
    }
    @Test
    void pauseAndResumeArePatchesOfTheVmState() {
        assertThat(FirecrackerBoot.pause()).isEqualTo(new FirecrackerBoot.Call("PATCH", "/vm", Map.of("state", "Paused")));
        assertThat(FirecrackerBoot.resume()).isEqualTo(new FirecrackerBoot.Call("PATCH", "/vm", Map.of("state", "Resumed")));
        assertThat(FirecrackerBoot.PAUSED).as("GET /'s word for it too").isEqualTo("Paused");
    }

    @Test
    void aSnapshotIsFullWithItsTwoFiles() {
        FirecrackerBoot.Call c = FirecrackerBoot.createSnapshot(Path.of("/snap/vmstate"), Path.of("/snap/memory"));
        assertThat(c.method()).isEqualTo("PUT");
        assertThat(c.path()).isEqualTo("/snapshot/create");
        assertThat(c.body()).isEqualTo(Map.of("snapshot_type", "Full", "snapshot_path", "/snap/vmstate", "mem_file_path", "/snap/memory"));
        assertThatThrownBy(() -> FirecrackerBoot.createSnapshot(Path.of("snap/vmstate"), Path.of("/snap/memory")))
                .hasMessageContaining("absolute");
        assertThatThrownBy(() -> FirecrackerBoot.createSnapshot(Path.of("/snap/x"), Path.of("/snap/x"))).hasMessageContaining("two files");
    }

    private static FirecrackerBoot.Restore restore(Optional<String> tap, Optional<Path> vsock) {
        return new FirecrackerBoot.Restore(DIR.resolve("firecracker.log"), DIR.resolve("metrics.json"), Path.of("/snap/vmstate"),
                Path.of("/snap/memory"), drives(), tap, vsock);
    }

    @Test
    void aRestoreLoadsPausedMovesEachDriveThenResumes() {
        List<FirecrackerBoot.Call> calls = restore(Optional.of("bgr0123"), Optional.of(DIR.resolve("vsock.sock"))).calls();
        assertThat(calls).extracting(c -> c.method() + " " + c.path()).containsExactly("PUT /logger", "PUT /metrics",
                "PUT /snapshot/load", "PATCH /drives/rootfs", "PATCH /drives/config", "PATCH /drives/work", "PATCH /vm");
        assertThat(calls.get(0)).isEqualTo(boot(drives(), OptionalLong.empty()).calls().get(0));
        assertThat(calls.get(2).body()).isEqualTo(Map.of(
                "snapshot_path", "/snap/vmstate",
                "mem_backend", Map.of("backend_type", "File", "backend_path", "/snap/memory"),
                "resume_vm", false,
                "network_overrides", List.of(Map.of("iface_id", "eth0", "host_dev_name", "bgr0123")),
                "vsock_override", Map.of("uds_path", DIR.resolve("vsock.sock").toString())));
        assertThat(calls.get(3).body()).isEqualTo(Map.of("drive_id", "rootfs", "path_on_host", "/dev/mapper/banger-0123"));
        assertThat(calls.get(5).body()).isEqualTo(Map.of("drive_id", "work", "path_on_host", DIR.resolve("work.img").toString()));
        assertThat(calls.getLast()).isEqualTo(FirecrackerBoot.resume());
    }

    @Test
    void aRestoreWithoutTapOrVsockSendsNoOverride() {
        FirecrackerBoot.Call load = restore(Optional.empty(), Optional.empty()).calls().get(2);
        assertThat(load.body()).doesNotContainKeys("network_overrides", "vsock_override").containsEntry("resume_vm", false);
    }

    @Test
    void aRestoreRefusesWhatFirecrackerWould() {
        assertThatThrownBy(() -> restore(Optional.of("no/such tap"), Optional.empty())).hasMessageContaining("tap");
        assertThatThrownBy(() -> restore(Optional.empty(), Optional.of(Path.of("vsock.sock")))).hasMessageContaining("absolute");
        assertThatThrownBy(() -> new FirecrackerBoot.Restore(DIR.resolve("l"), DIR.resolve("m"), Path.of("/s"), Path.of("/m"), List.of(),
                Optional.empty(), Optional.empty())).hasMessageContaining("every drive");
        List<FirecrackerBoot.Drive> twice = List.of(drives().get(0), drives().get(0));
        assertThatThrownBy(() -> new FirecrackerBoot.Restore(DIR.resolve("l"), DIR.resolve("m"), Path.of("/s"), Path.of("/m"), twice,
                Optional.empty(), Optional.empty())).hasMessageContaining("each once");
    }
}
