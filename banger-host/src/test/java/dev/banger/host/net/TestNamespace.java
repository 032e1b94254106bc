package dev.banger.host.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A network namespace of the test's own ({@code banger-test-RANDOM}): every command of the code under test
 * runs inside it, so the host's own network is never changed. Deleting it deletes every link and nft table
 * made inside; {@link #close()} does that and checks it is gone.
 */
final class TestNamespace implements AutoCloseable {
    private static final ProcessExecutor HOST = new ProcessExecutor(Duration.ofSeconds(20));

    final String name;
    final Executor executor;
    final Sysctls sysctls;

    private TestNamespace(String name) {
        this.name = name;
        this.executor = argv -> {
            List<String> wrapped = new ArrayList<>(List.of("ip", "netns", "exec", name));
            wrapped.addAll(argv);
            Executor.Result r = HOST.run(wrapped);
            // ip netns exec reports a program it cannot start as exit status 255: make that look like the host's.
            if (r.exitStatus() == 255 && r.stderr().contains("exec of \"" + argv.get(0) + "\" failed")) {
                return new Executor.Result(Executor.PROGRAM_MISSING, r.stdout(), r.stderr());
            }
            return r;
        };
        this.sysctls = new Sysctls() {
            @Override
            public String read(String key) {
                return check(List.of("sysctl", "-n", key)).strip();
            }

            @Override
            public void write(String key, String value) {
                check(List.of("sysctl", "-w", key + "=" + value));
            }
        };
    }

    static TestNamespace create() {
        String name = "banger-test-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        Executor.Result r = HOST.run(List.of("ip", "netns", "add", name));
        assertThat(r.ok()).as("ip netns add %s: %s", name, r.stderr()).isTrue();
        return new TestNamespace(name);
    }

    /** Runs a command in the namespace; fails the test when it fails. */
    String check(List<String> argv) {
        Executor.Result r = executor.run(argv);
        assertThat(r.ok()).as("%s: %s", argv, r.stderr()).isTrue();
        return r.stdout();
    }

    static boolean hostHas(String program) {
        return !HOST.run(List.of(program, "--version")).programMissing();
    }

    static List<String> hostNamespaces() {
        return HOST.run(List.of("ip", "netns", "list")).stdout().lines().map(l -> l.split(" ")[0]).toList();
    }

    @Override
    public void close() {
        Executor.Result r = HOST.run(List.of("ip", "netns", "del", name));
        assertThat(r.ok()).as("ip netns del %s: %s", name, r.stderr()).isTrue();
        assertThat(hostNamespaces()).doesNotContain(name);
    }
}
