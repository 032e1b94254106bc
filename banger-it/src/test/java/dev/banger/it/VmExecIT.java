package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * {@code vm exec -t} and detached processes end to end, with a real VM under QEMU in a network namespace:
 * the CLI on a pseudo-terminal of its own (util-linux's {@code script}), the guest's command on one the agent
 * made; detached processes listed, attached, signalled, killed, their exit statuses kept until collected,
 * and alive across the client's death and a restart of bangerd.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class VmExecIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(1);
    private static final String VM = "exec-pty";
    private NetnsHome ns;

    @BeforeAll
    void start() {
        ns = NetnsHome.withSharedImage(null);
        ns.ok(BOOT, "vm", "run", "--name", VM, "--", "true");
    }

    @AfterAll
    void cleanUp() {
        ns.close();
    }

    /** {@code bin/banger ARGS} as a shell word list for {@code script -c}, in the namespace. */
    private String bangerLine(String... args) {
        StringBuilder sb = new StringBuilder(quote(ns.home.repoDir().resolve("bin/banger").toString()));
        for (String a : args) {
            sb.append(' ').append(quote(a));
        }
        return sb.toString();
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** A shell line run on a new pseudo-terminal by {@code script}, inside the namespace, stdin from the test. */
    private Session onTerminal(String shellLine) throws IOException {
        return Session.start(List.of("ip", "netns", "exec", ns.netns, "script", "-qfec", shellLine, "/dev/null"), ns.home.path());
    }

    /** bin/banger ARGS in the namespace, stdin from the test. */
    private Session banger(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns.netns, ns.home.repoDir().resolve("bin/banger").toString()));
        command.addAll(List.of(args));
        return Session.start(command, ns.home.path());
    }

    @Test
    void theCommandSeesATerminalOfTheCallersSize() throws Exception {
        try (Session s = onTerminal("stty rows 33 cols 101; " + bangerLine("vm", "exec", "-t", VM, "--", "sh", "-c",
                "tty; stty size; echo \"term=$TERM\"; echo to-stderr >&2; exit 3") + "; echo \"status=$?\"")) {
            String out = s.awaitOutput("status=", CLI);
            assertThat(out).containsPattern("/dev/pts/[0-9]+\\s").contains("33 101").contains("term=").contains("to-stderr")
                    .contains("status=3");
        }
        // No terminal here at all: the guest's is 24x80, and everything comes back on stdout.
        BangerHome.Result r = ns.banger(CLI, "vm", "exec", "-t", VM, "--", "sh", "-c", "stty size; echo err >&2");
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.stdout()).isEqualTo("24 80\r\nerr\r\n");
        assertThat(r.stderr()).isEmpty();
        BangerHome.Result refused = ns.banger(CLI, "vm", "exec", "-it", VM, "--", "sh");
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.stderr()).contains("-t with -i needs a terminal on stdin");
    }

    @Test
    void anInteractiveTerminalIsRawFollowsResizesTakesCtrlCAndIsRestored() throws Exception {
        String guest = "echo ready; stty size; read line; echo \"got:$line\"; stty size; trap 'echo got-int; exit 7' INT; "
                + "echo waiting; while :; do sleep 1; done";
        try (Session s = onTerminal("stty rows 30 cols 90; echo \"before=$(stty -g)\"; "
                + bangerLine("vm", "exec", "-it", VM, "--", "sh", "-c", guest) + "; echo \"status=$?\"; echo \"after=$(stty -g)\"")) {
            assertThat(s.awaitOutput("30 90", CLI)).contains("ready");
            // Resize the terminal banger runs on, as a window manager would: the kernel sends it SIGWINCH.
            Path tty = terminalOf(s, "exec").orElseThrow(() -> new AssertionError("no banger process on a terminal: " + s.output()));
            ns.home.run(List.of("stty", "-F", tty.toString(), "rows", "40", "cols", "120"), CLI);
            NetnsHome.sleep(3000); // SIGWINCH, stty size, the RESIZE record: before the line below reaches the guest
            s.type("hello\r");
            assertThat(s.awaitOutput("waiting", CLI)).contains("got:hello").contains("40 120");
            s.type("\u0003"); // Ctrl-C: a byte in raw mode, SIGINT from the guest's terminal
            String out = s.awaitOutput("after=", CLI);
            assertThat(out).contains("got-int").contains("status=7");
            assertThat(setting(out, "after=")).as("the terminal's settings are back: %s", out).isEqualTo(setting(out, "before="));
        }
    }

    @Test
    void detachedProcessesAreListedSignalledKilledAndCollected() throws Exception {
        String trapper = detach("sh", "-c", "echo started; trap 'echo got-term; exit 3' TERM; while :; do sleep 1; done");
        String sleeper = detach("sleep", "600");
        String quick = detach("sh", "-c", "echo quick; echo quick-err >&2; exit 5");
        assertThat(BangerHome.await(Duration.ofSeconds(60), () -> state(quick).path("exit_status").asInt(-1) == 5))
                .as("the quick one exited").isTrue();
        JsonNode list = ns.ok(CLI, "vm", "exec", VM, "--list", "--json").json();
        assertThat(list.get("max").asInt()).isEqualTo(64);
        assertThat(list.get("processes").findValuesAsText("id")).containsExactly(trapper, sleeper, quick);
        assertThat(state(sleeper).get("state").asText()).isEqualTo("running");
        BangerHome.Result table = ns.ok(CLI, "vm", "exec", VM, "--list");
        assertThat(table.stdout()).startsWith("ID").contains(trapper).contains("sleep 600").contains("exited (5)");
        assertThat(table.stderr()).contains("keep their status until collected");

        assertThat(ns.ok(CLI, "vm", "exec", VM, "--kill", trapper, "--signal", "TERM").stdout()).contains("sent TERM to " + trapper);
        BangerHome.Result trapped = ns.banger(CLI, "vm", "exec", VM, "--attach", trapper);
        assertThat(trapped.exitCode()).as("%s", trapped).isEqualTo(3);
        assertThat(trapped.stdout()).isEqualTo("started\ngot-term\n");

        ns.ok(CLI, "vm", "exec", VM, "--kill", sleeper);
        assertThat(ns.banger(CLI, "vm", "exec", VM, "--attach", sleeper).exitCode()).as("128 + SIGKILL").isEqualTo(137);

        assertThat(state(quick).get("exit_status").asInt()).as("kept until collected").isEqualTo(5);
        BangerHome.Result collected = ns.banger(CLI, "vm", "exec", VM, "--attach", quick);
        assertThat(collected.exitCode()).isEqualTo(5);
        assertThat(collected.stdout()).isEqualTo("quick\n");
        assertThat(collected.stderr()).isEqualTo("quick-err\n");

        assertThat(ns.ok(CLI, "vm", "exec", VM, "--list", "--json").json().get("processes")).as("all collected").isEmpty();
        BangerHome.Result gone = ns.banger(CLI, "vm", "exec", VM, "--attach", quick);
        assertThat(gone.exitCode()).isEqualTo(1);
        assertThat(gone.stderr()).contains("no detached process '" + quick + "'");
        BangerHome.Result bad = ns.banger(CLI, "vm", "exec", VM, "--kill", "not-an-id");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.stderr()).contains("is not a detached process's id");
        BangerHome.Result badSignal = ns.banger(CLI, "vm", "exec", VM, "--kill", sleeper, "--signal", "RTMIN");
        assertThat(badSignal.exitCode()).isEqualTo(2);
        assertThat(badSignal.stderr()).contains("'RTMIN' is not a signal");
    }

    @Test
    void detachedProcessesOutliveTheirClientAndARestartOfBangerd() throws Exception {
        String echo = detach("-i", "sh", "-c", "echo up; while read l; do echo \"got:$l\"; done; echo eof; exit 4");
        try (Session attached = banger("vm", "exec", VM, "--attach", echo)) {
            attached.awaitOutput("up", CLI);
            attached.kill(); // the client dies: the process does not
        }
        ns.restartDaemon(java.util.Map.of());
        assertThat(state(echo).get("state").asText()).isEqualTo("running");
        assertThat(state(echo).get("attached").asBoolean()).isFalse();
        try (Session again = banger("vm", "exec", VM, "--attach", echo, "-i")) {
            again.awaitOutput("up", CLI);
            again.type("a\nb\n");
            again.closeInput();
            assertThat(again.awaitExit(CLI)).isEqualTo(4);
            assertThat(again.output()).isEqualTo("up\ngot:a\ngot:b\neof\n");
        }
    }

    /** Starts ARGS detached (a leading "-i" keeps its stdin); its id. */
    private String detach(String... args) {
        List<String> line = new ArrayList<>(List.of("vm", "exec", VM, "--detach"));
        int at = 0;
        if (args[0].equals("-i")) {
            line.add("-i");
            at = 1;
        }
        line.add("--");
        line.addAll(List.of(args).subList(at, args.length));
        String id = ns.ok(CLI, line.toArray(String[]::new)).stdout().strip();
        assertThat(id).matches("[0-9a-f]{8}");
        return id;
    }

    private JsonNode state(String id) {
        for (JsonNode p : ns.ok(CLI, "vm", "exec", VM, "--list", "--json").json().get("processes")) {
            if (p.get("id").asText().equals(id)) {
                return p;
            }
        }
        throw new AssertionError("process " + id + " is not listed");
    }

    private static String setting(String out, String label) {
        return out.lines().filter(l -> l.startsWith(label)).map(l -> l.substring(label.length()).strip()).findFirst()
                .orElseThrow(() -> new AssertionError("no " + label + " in " + out));
    }

    /** The terminal stdin of {@code session}'s banger CLI (a java process whose command line names {@code verb}) is. */
    private static Optional<Path> terminalOf(Session session, String verb) {
        return session.process.descendants()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(verb) && List.of(a).contains("vm")).orElse(false))
                .map(p -> {
                    try {
                        return Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "fd", "0"));
                    } catch (IOException e) {
                        return null;
                    }
                })
                .filter(t -> t != null && t.toString().startsWith("/dev/pts/"))
                .findFirst();
    }

    /** A process the test talks to: what it printed so far (stdout and stderr together), its stdin. */
    static final class Session implements AutoCloseable {
        final Process process;
        private final ByteArrayOutputStream output = new ByteArrayOutputStream();
        private final OutputStream input;

        private Session(Process process) {
            this.process = process;
            this.input = process.getOutputStream();
            Thread.ofPlatform().daemon().start(() -> {
                byte[] buf = new byte[4096];
                try (InputStream in = process.getInputStream()) {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        synchronized (output) {
                            output.write(buf, 0, n);
                        }
                    }
                } catch (IOException e) {
                    // the process ended
                }
            });
        }

        static Session start(List<String> command, Path home) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("BANGER_HOME", home.toString());
            return new Session(pb.start());
        }

        String output() {
            synchronized (output) {
                return output.toString(StandardCharsets.UTF_8);
            }
        }

        /** Waits until the output contains {@code text}; all the output so far. */
        String awaitOutput(String text, Duration timeout) {
            assertThat(BangerHome.await(timeout, () -> output().contains(text))).as("'%s' in: %s", text, output()).isTrue();
            return output();
        }

        void type(String text) throws IOException {
            input.write(text.getBytes(StandardCharsets.UTF_8));
            input.flush();
        }

        void closeInput() throws IOException {
            input.close();
        }

        int awaitExit(Duration timeout) throws InterruptedException {
            assertThat(process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)).as("exited; output: %s", output()).isTrue();
            return process.exitValue();
        }

        /** SIGKILL to the process and everything it started. */
        void kill() {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }

        @Override
        public void close() throws IOException {
            kill();
        }
    }
}
