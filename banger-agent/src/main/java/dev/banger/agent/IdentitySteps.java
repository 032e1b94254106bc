package dev.banger.agent;

import dev.banger.channel.Exec;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The real steps of the {@code identity} op ({@link Identity}): the kernel's RNG and clock through libc
 * ({@link Libc}: the one call shape, and its one ioctl shape), the network through one {@code ip -batch}
 * ({@link Spawned}), the files written here, sshd signalled through {@link Spawn#signalProcess}. Every guest
 * path is taken under {@code root} ("/" in a VM), so that tests and the image build's training run point the
 * network, file and sshd steps at a directory of their own; {@link #reseed} and {@link #setClock} act on the
 * machine itself and are never called outside a VM.
 */
final class IdentitySteps implements Identity.Steps {
    /**
     * Where iproute2's ip may be (Debian: /bin/ip and /sbin/ip; usr-merged trees: /usr/bin, /usr/sbin): the
     * first that is an executable file and not busybox (whose ip applet has no -batch).
     */
    static final List<Path> IP_PROGRAMS = List.of(Path.of("/usr/sbin/ip"), Path.of("/sbin/ip"), Path.of("/bin/ip"), Path.of("/usr/bin/ip"));
    /** _IOW('R', 0x03, int[2]): add bytes to the input pool and credit them (struct rand_pool_info). */
    static final long RNDADDENTROPY = 0x40085203L;
    /** _IO('R', 0x07): reseed the CRNG from the input pool now (Linux 4.17 and later; ENODATA before it is initialised). */
    static final long RNDRESEEDCRNG = 0x5207L;
    /** _IOR('R', 0x00, int): the pool's entropy count; read-only, the warm-up's ioctl. */
    static final long RNDGETENTCNT = 0x80045200L;
    static final int CLOCK_REALTIME = 0;
    static final int EINVAL = 22;
    static final int ENOTTY = 25;
    static final int ENODATA = 61;
    static final int ESRCH = 3;
    static final int SIGHUP = 1;
    /** The largest text file read here (/etc/hosts, /etc/resolv.conf, ...): apply-config's bound for the drive's files. */
    static final int MAX_TEXT_BYTES = 256 * 1024;
    /** Beside each file until it is renamed over it (apply-config's is .banger-new: the two never share one). */
    static final String TEMP_SUFFIX = ".banger-identity";
    private static final long NANOS = 1_000_000_000L;
    /** After ip's exit, how long its output may take to end (a process it left behind may hold the pipe). */
    private static final long OUTPUT_GRACE_MILLIS = 2_000;
    private static final long KILL_WAIT_MILLIS = 5_000;
    private static final int SIGKILL = 9;
    private static final int MODE_DIRECTORY = 0755;
    private static final OpenOption[] NO_FOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final OpenOption[] FOLLOW = {};

    /** Looked up at the first identity op or the warm-up, not when the agent starts (which makes this class). */
    private static final class Fns {
        // fopen, not open: open is variadic (its mode), and a variadic function needs a shape, a stub, of its own.
        static final Libc.Fn FOPEN = Libc.fn("fopen");
        static final Libc.Fn FILENO = Libc.fn("fileno");
        static final Libc.Fn FCLOSE = Libc.fn("fclose");
        static final Libc.Fn CLOCK_GETTIME = Libc.fn("clock_gettime");
        static final Libc.Fn CLOCK_SETTIME = Libc.fn("clock_settime");
    }

    private final Path root;
    private final List<Path> ipPrograms;
    /** Whether the NIC is re-addressed by the kernel's ioctls first ({@link NetIoctls}): the guest's own steps only. */
    private final boolean ioctls;

    /** The guest's own: its paths from /, the NIC by ioctls, iproute2's ip where those fail. */
    IdentitySteps() {
        this(Path.of("/"), IP_PROGRAMS, true);
    }

    /** Every guest path under {@code root}; ip the first of {@code ipPrograms} that is there. */
    IdentitySteps(Path root, List<Path> ipPrograms) {
        this(root, ipPrograms, false);
    }

    private IdentitySteps(Path root, List<Path> ipPrograms, boolean ioctls) {
        this.root = root;
        this.ipPrograms = List.copyOf(ipPrograms);
        this.ioctls = ioctls;
    }

    @Override
    public boolean reseed(byte[] entropy) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            long file = open(arena, state, "/dev/random");
            try {
                int fd = (int) Fns.FILENO.call(state, file);
                Libc.check(fd, state, "fileno");
                // struct rand_pool_info { int entropy_count (bits); int buf_size (bytes); __u32 buf[]; }, the header
                // copied in at once (an element store would spin a VarHandle's classes, as Spawn's comment says).
                long words = (entropy.length + 3) / 4;
                MemorySegment info = arena.allocate(8 + 4 * words, 4);
                MemorySegment.copy(new int[] {entropy.length * 8, entropy.length}, 0, info, ValueLayout.JAVA_INT, 0, 2);
                MemorySegment.copy(entropy, 0, info, ValueLayout.JAVA_BYTE, 8, entropy.length);
                int rc = Libc.ioctl(state, fd, RNDADDENTROPY, info);
                info.fill((byte) 0);
                Libc.check(rc, state, "ioctl(RNDADDENTROPY)");
                if (Libc.ioctl(state, fd, RNDRESEEDCRNG, MemorySegment.NULL) == 0) {
                    return true;
                }
                int errno = Libc.errno(state);
                if (errno == ENOTTY || errno == EINVAL || errno == ENODATA) {
                    // A kernel before 4.17 (no such ioctl), or a CRNG not initialised yet (it will be, from the
                    // pool): the bytes are in the pool either way, and the CRNG takes them on its own schedule.
                    return false;
                }
                throw new IOException("ioctl(RNDRESEEDCRNG) failed: errno " + errno);
            } finally {
                Fns.FCLOSE.call(state, file);
            }
        }
    }

    @Override
    public long setClock(long epochNanos) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            MemorySegment timespec = arena.allocate(16, 8); // struct timespec { time_t tv_sec; long tv_nsec; }
            long before = realtime(state, timespec);
            MemorySegment.copy(new long[] {epochNanos / NANOS, epochNanos % NANOS}, 0, timespec, ValueLayout.JAVA_LONG, 0, 2);
            Libc.check((int) Fns.CLOCK_SETTIME.call(state, CLOCK_REALTIME, timespec.address()), state, "clock_settime");
            return epochNanos - before;
        }
    }

    /** CLOCK_REALTIME in ns since the epoch, read into {@code timespec}. */
    private static long realtime(MemorySegment state, MemorySegment timespec) throws IOException {
        Libc.check((int) Fns.CLOCK_GETTIME.call(state, CLOCK_REALTIME, timespec.address()), state, "clock_gettime");
        long[] now = new long[2];
        MemorySegment.copy(timespec, ValueLayout.JAVA_LONG, 0, now, 0, 2);
        return now[0] * NANOS + now[1];
    }

    /** {@code fopen(path, "re")}: a FILE pointer; an IOException with the errno when it cannot be opened. */
    private static long open(Arena arena, MemorySegment state, String path) throws IOException {
        long file = Fns.FOPEN.call(state, arena.allocateFrom(path).address(), arena.allocateFrom("re").address());
        if (file == 0) {
            throw new IOException("cannot open " + path + ": errno " + Libc.errno(state));
        }
        return file;
    }

    // --- network ------------------------------------------------------------------------------------

    /**
     * Writes the batch ({@link Identity#batch}) to run/banger/identity.ip (0600, atomically: ip never reads half
     * of one) and runs {@code ip -4 -batch} on it: the one program the op starts.
     */
    @Override
    public Identity.Networked network(Identity.Asked asked) throws IOException {
        String nic = nic();
        String fallback = "";
        if (ioctls) {
            try {
                NetIoctls.readdress(nic, asked.mac(), asked.address(), asked.gateway());
                return new Identity.Networked(nic, 0, "");
            } catch (IOException | RuntimeException e) {
                fallback = "the ioctls failed (" + e.getMessage() + "): ip -batch instead\n";
            }
        }
        Path ip = ipProgram();
        Path dir = directory(root.resolve("run/banger"));
        Path batch = dir.resolve("identity.ip");
        // No fsync: /run is a tmpfs, and ip reads the file at once.
        install(stage(batch, String.join("\n", Identity.batch(nic, asked)) + "\n", 0600));
        Identity.Ran ran = run(List.of(ip.toString(), "-4", "-batch", batch.toString()), Identity.NETWORK_TIMEOUT_MILLIS,
                Identity.LOG_BYTES);
        return new Identity.Networked(nic, ran.status(), fallback + ran.log());
    }

    /**
     * The NIC to re-address: the one apply-config configured at boot and recorded in run/banger/nic, when it is
     * still there; else the one interface in sys/class/net, lo aside, that has a MAC; else an IOException.
     */
    String nic() throws IOException {
        Path net = root.resolve("sys/class/net");
        String recorded = read(root.resolve("run/banger/nic"), NO_FOLLOW);
        if (recorded != null) {
            String name = recorded.strip();
            if (Identity.isNicName(name) && Files.isDirectory(net.resolve(name))) {
                return name;
            }
        }
        List<String> withMac = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(net)) {
            for (Path p : entries) { // a loop, not a stream: no lambda to spin on a restored guest's way
                String name = p.getFileName().toString();
                if (name.equals("lo") || !Identity.isNicName(name)) {
                    continue;
                }
                String mac = read(p.resolve("address"), FOLLOW); // sysfs: each NIC is a link to its device
                if (mac != null && Identity.isUnicastMac(mac.strip())) {
                    withMac.add(name);
                }
            }
        } catch (NoSuchFileException e) {
            throw new IOException("no " + net + ": no NIC to address");
        }
        if (withMac.size() != 1) {
            throw new IOException("no NIC to address: none usable in " + root.resolve("run/banger/nic") + ", and "
                    + withMac.size() + " interfaces with a MAC (" + String.join(", ", withMac) + "), not one");
        }
        return withMac.getFirst();
    }

    /** The first of {@link #ipPrograms} that is an executable file and not busybox; an IOException when none is. */
    Path ipProgram() throws IOException {
        for (Path p : ipPrograms) {
            if (Files.isRegularFile(p) && Files.isExecutable(p) && !p.toRealPath().getFileName().toString().equals("busybox")) {
                return p;
            }
        }
        throw new IOException("no iproute2 ip in this guest (looked for " + ipPrograms + ")");
    }

    // --- files --------------------------------------------------------------------------------------

    /**
     * The guest's files for {@code asked}, as apply-config writes them at boot, plus the machine id: the kernel's
     * hostname (a plain write to proc/sys/kernel/hostname); etc/hostname and etc/hosts ({@link Identity#hosts})
     * when they differ; etc/resolv.conf when its nameservers are not just {@code dns} (a link there is replaced
     * by a file, as apply-config does); etc/ssh/ssh_host_ed25519_key (0600) and its .pub (0644);
     * run/banger/agent-token (0600; removed when there is no token); etc/machine-id (0444) and
     * var/lib/dbus/machine-id where that is a file of its own (a link to etc/machine-id follows it already).
     *
     * <p>Each file is written beside its target ({@link #TEMP_SUFFIX}, created new, its mode set), then each is
     * renamed over its target: a link at a target is replaced, never written through; nothing is renamed when a
     * write fails. No fsync or syncfs: on a freshly restored guest a syncfs cost 0.1-0.2 s (it flushes whatever the
     * snapshot's page cache held dirty), ext4 (auto_da_alloc) writes a file's data out before a rename over an
     * existing file commits, and should the guest crash before the journal does, its next boot applies every one of
     * these values again from its config drive but the machine-id.
     */
    @Override
    public void files(Identity.Asked asked) throws IOException {
        writeProc(root.resolve("proc/sys/kernel/hostname"), asked.hostname());
        Path etc = root.resolve("etc");
        List<Staged> staged = new ArrayList<>();
        try {
            Path hostname = etc.resolve("hostname");
            String line = asked.hostname() + "\n";
            if (!line.equals(read(hostname, NO_FOLLOW))) {
                staged.add(stage(hostname, line, 0644));
            }
            Path hostsFile = etc.resolve("hosts");
            String current = read(hostsFile, FOLLOW); // a link's lines are kept, as apply-config keeps them; not written through
            String hosts = Identity.hosts(current, asked.hostname());
            if (!hosts.equals(current)) {
                staged.add(stage(hostsFile, hosts, 0644));
            }
            Path resolv = etc.resolve("resolv.conf");
            String resolvText = read(resolv, NO_FOLLOW); // null for a link: replaced by a file
            if (resolvText == null || !Identity.nameservers(resolvText).equals(List.of(asked.dns()))) {
                staged.add(stage(resolv, Identity.resolvConf(asked.dns()), 0644));
            }
            Path ssh = directory(etc.resolve("ssh"));
            String key = asked.hostKey().endsWith("\n") ? asked.hostKey() : asked.hostKey() + "\n";
            staged.add(stage(ssh.resolve("ssh_host_ed25519_key"), key, 0600));
            staged.add(stage(ssh.resolve("ssh_host_ed25519_key.pub"), asked.hostKeyPub() + "\n", 0644));
            Path token = directory(root.resolve("run/banger")).resolve("agent-token");
            if (asked.token() != null) {
                staged.add(stage(token, asked.token() + "\n", 0600));
            }
            staged.add(stage(etc.resolve("machine-id"), asked.machineId() + "\n", 0444));
            Path dbus = root.resolve("var/lib/dbus/machine-id");
            if (Files.isRegularFile(dbus, LinkOption.NOFOLLOW_LINKS)) {
                staged.add(stage(dbus, asked.machineId() + "\n", 0444));
            }
            List<String> installed = new ArrayList<>();
            for (Staged s : staged) {
                try {
                    install(s);
                } catch (IOException e) {
                    throw new IOException(e.getMessage() + " (installed before it: " + (installed.isEmpty() ? "none" : installed) + ")", e);
                }
                installed.add(s.target().toString());
            }
            if (asked.token() == null) {
                Files.deleteIfExists(token); // unlinks a link itself, never its target
            }
        } finally {
            for (Staged s : staged) {
                Files.deleteIfExists(s.temp()); // gone already once renamed
            }
        }
    }

    /** A file written beside {@code target}, waiting for its rename. */
    record Staged(Path temp, Path target) {
    }

    /**
     * {@code text} in a new file beside {@code target} (a leftover of an earlier try removed first), with
     * {@code mode}. Created 0600 whatever the final mode: a key is never readable by others, even for a moment.
     */
    static Staged stage(Path target, String text, int mode) throws IOException {
        Path temp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
        Files.deleteIfExists(temp);
        try (FileChannel out = FileChannel.open(temp, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                out.write(b);
            }
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            throw new IOException("cannot write " + temp + ": " + e, e);
        }
        Files.setAttribute(temp, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
        return new Staged(temp, target);
    }

    /** Renames the staged file over its target: rename(2), which replaces a file or a link and never follows one. */
    static void install(Staged s) throws IOException {
        try {
            Files.move(s.temp(), s.target(), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IOException("cannot put " + s.target() + " in place: " + e, e);
        }
    }

    /**
     * A plain write of {@code value} to a proc file that must exist (a sysctl: no temporary, no rename), truncated as
     * a shell's {@code echo >} does (a sysctl takes O_TRUNC and ignores it).
     */
    private static void writeProc(Path file, String value) throws IOException {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
                LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer b = ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                out.write(b);
            }
        } catch (IOException e) {
            throw new IOException("cannot set the hostname through " + file + ": " + e, e);
        }
    }

    /** {@code dir}, made (0755) when it is not there. */
    private static Path directory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        return dir;
    }

    /**
     * The text of {@code file} when it is a regular file (through a link with {@link #FOLLOW}, else not: a link is
     * then null), null when it is not there or not one; an IOException beyond {@link #MAX_TEXT_BYTES}.
     */
    static String read(Path file, OpenOption... follow) throws IOException {
        BasicFileAttributes a;
        try {
            a = follow.length == 0 ? Files.readAttributes(file, BasicFileAttributes.class)
                    : Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (!a.isRegularFile()) {
            return null;
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file, follow)) { // proc and sysfs say 0 or 4096 for a size: read, bounded
            bytes = in.readNBytes(MAX_TEXT_BYTES + 1);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (bytes.length > MAX_TEXT_BYTES) {
            throw new IOException(file + " is over " + MAX_TEXT_BYTES / 1024 + " KiB");
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    // --- sshd ---------------------------------------------------------------------------------------

    /**
     * SIGHUP to the listening sshd, whose pid both boots' sshd leave in run/sshd.pid (OpenSSH's default PidFile),
     * when proc/PID/comm says it is sshd: it re-executes itself, reading its host keys (the files step installed
     * this VM's) and reseeding from the kernel; sessions already open are its children and keep going.
     * {@code "absent"} when no sshd runs (it reads the new key when it starts).
     */
    @Override
    public String reloadSshd() throws IOException {
        String pidText = read(root.resolve("run/sshd.pid"), NO_FOLLOW);
        long pid = pidText == null ? -1 : pid(pidText.strip());
        if (pid <= 1) {
            return "absent";
        }
        String comm = read(root.resolve("proc").resolve(Long.toString(pid)).resolve("comm"), NO_FOLLOW);
        if (comm == null || !comm.strip().equals("sshd")) {
            return "absent";
        }
        int errno = Spawn.signalProcess(pid, SIGHUP);
        if (errno == ESRCH) {
            return "absent"; // it ended since
        }
        if (errno != 0) {
            throw new IOException("kill(" + pid + ", SIGHUP) failed: errno " + errno + ": new connections still get the parent's host key");
        }
        return "reloaded";
    }

    /** A pid file's number: 1-9 digits; -1 when it is not one. */
    private static long pid(String s) {
        if (s.isEmpty() || s.length() > 9) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        return Long.parseLong(s);
    }

    // --- warm-up ------------------------------------------------------------------------------------

    /**
     * What the op needs linked and loaded, done without a side effect (the warm-up, after the agent's first
     * answer at boot: a guest restored from a snapshot of a warm VM then finds it done): the ioctl shape (its own
     * downcall stub, ~100 ms under TCG the first time) by RNDGETENTCNT on /dev/random, which only reads the
     * pool's count; clock_gettime, fopen, fileno, fclose and kill (signal 0 to the agent itself: a check, nothing
     * sent) through the one shape; the request's checks, the batch and the hosts rewrite on stand-in values;
     * the NIC's lookup and the reads of the files the op compares (reads only). Answers the pool's entropy count.
     */
    static int warm(String standInRequest) throws IOException {
        Identity.Asked asked = Identity.Asked.of(Request.parse(standInRequest.getBytes(StandardCharsets.UTF_8)));
        Identity.batch("eth0", asked);
        Identity.hosts("127.0.0.1\tlocalhost\n127.0.1.1\tbanger\n", asked.hostname());
        Identity.nameservers(Identity.resolvConf(asked.dns()));
        IdentitySteps guest = new IdentitySteps();
        try {
            guest.nic();
        } catch (IOException e) {
            // no NIC here: only the lookup's code was wanted
        }
        read(Path.of("/etc/hosts"), FOLLOW);
        read(Path.of("/run/sshd.pid"), NO_FOLLOW);
        NetIoctls.warm();
        Spawn.signalProcess(ProcessHandle.current().pid(), 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            realtime(state, arena.allocate(16, 8));
            long file = open(arena, state, "/dev/random");
            try {
                int fd = (int) Fns.FILENO.call(state, file);
                Libc.check(fd, state, "fileno");
                MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
                Libc.check(Libc.ioctl(state, fd, RNDGETENTCNT, count), state, "ioctl(RNDGETENTCNT)");
                return count.get(ValueLayout.JAVA_INT, 0);
            } finally {
                Fns.FCLOSE.call(state, file);
            }
        }
    }

    /**
     * Runs {@code argv} as root in /, stdin /dev/null, stdout and stderr into one log of which the last
     * {@code logBytes} are kept; waits at most {@code timeoutMillis}, then kills its process group (status 137
     * then, and a last line saying so). A program that cannot be run ends as a shell reports it: 127 when it is
     * not there, 126 when it cannot be executed, its message as the log.
     */
    static Identity.Ran run(List<String> argv, long timeoutMillis, int logBytes) throws IOException {
        Launch.Prepared command = new Launch.Prepared(argv, Launch.baseEnvironment("root", "/root"), "/", null);
        Spawned p;
        try {
            p = Spawned.start(command, new Spawn.Log());
        } catch (Spawn.NotStarted e) {
            if (e.errno == Spawn.ENOENT || e.errno == Spawn.EACCES || e.errno == Spawn.ENOEXEC) {
                return new Identity.Ran(e.errno == Spawn.ENOENT ? 127 : 126, "banger-agent: " + e.getMessage() + "\n");
            }
            throw e;
        }
        Tail log = new Tail(logBytes);
        // Pipe reads block in native code: a platform thread (a class, not a lambda: see Warmup).
        Thread reader = Thread.ofPlatform().daemon().name("identity-ip").start(new Drain(p.stdout(), log));
        String note = "";
        try {
            if (!p.awaitExit(timeoutMillis)) {
                p.signalGroup(SIGKILL);
                p.awaitExit(KILL_WAIT_MILLIS);
                note = "banger-agent: " + argv.getFirst() + " did not finish within "
                        + (timeoutMillis % 1000 == 0 ? timeoutMillis / 1000 + " s" : timeoutMillis + " ms") + ": killed\n";
            }
            reader.join(OUTPUT_GRACE_MILLIS);
        } catch (InterruptedException e) {
            p.signalGroup(SIGKILL);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + argv.getFirst() + " ran");
        }
        if (reader.isAlive()) {
            // Left to end on its own (closing a descriptor another thread reads is a race with its reuse).
            note = note + "banger-agent: the output is still open (a process " + argv.getFirst() + " started holds it)\n";
        }
        return new Identity.Ran(status(p.exit()), log.text() + note);
    }

    /** The exit status once collected; -1 when it could not be (waitpid failed, or still running after the kill). */
    private static int status(CompletableFuture<Exec.Exit> exit) {
        if (!exit.isDone()) {
            return -1;
        }
        try {
            return exit.get().status();
        } catch (ExecutionException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The last {@code capacity} bytes written (a ring), as text. */
    static final class Tail {
        private final byte[] ring;
        private long written;

        Tail(int capacity) {
            ring = new byte[capacity];
        }

        synchronized void append(byte[] b, int len) {
            int from = Math.max(0, len - ring.length); // only the last capacity bytes can stay
            written += from;
            for (int i = from; i < len; i++) {
                ring[(int) (written++ % ring.length)] = b[i];
            }
        }

        /** The bytes kept, oldest first, decoded leniently (a character cut at the start becomes U+FFFD). */
        synchronized String text() {
            int n = (int) Math.min(written, ring.length);
            byte[] out = new byte[n];
            int start = (int) ((written - n) % ring.length);
            for (int i = 0; i < n; i++) {
                out[i] = ring[(start + i) % ring.length];
            }
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    /** Reads the program's output into its tail until the end, then closes it. */
    private static final class Drain implements Runnable {
        private final InputStream in;
        private final Tail tail;

        Drain(InputStream in, Tail tail) {
            this.in = in;
            this.tail = tail;
        }

        @Override
        public void run() {
            byte[] buf = new byte[4096];
            try (in) {
                int n;
                while ((n = in.read(buf, 0, buf.length)) > 0) {
                    tail.append(buf, n);
                }
            } catch (IOException e) {
                // the log ends here
            }
        }
    }
}
