package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.channel.Exec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** posix_spawn through FFM, against real programs on this machine. */
@Timeout(30)
class SpawnTest {
    private static final Map<String, String> ENV = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "GREETING", "a b");

    @TempDir
    Path dir;

    private record Ran(String out, String err, Exec.Exit status) {
    }

    private Ran run(List<String> argv, String stdin) throws IOException {
        Spawn.Child c = Spawn.start(argv, ENV, dir.toString(), new Spawn.Pipes(stdin != null));
        if (stdin != null) {
            try (OutputStream in = Fds.output(c.stdin())) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        String err;
        String out;
        try (InputStream o = Fds.input(c.stdout()); InputStream e = Fds.input(c.stderr())) {
            out = new String(o.readAllBytes(), StandardCharsets.UTF_8);
            err = new String(e.readAllBytes(), StandardCharsets.UTF_8);
        }
        return new Ran(out, err, Spawn.waitFor(c.pid()));
    }

    @Test
    void argvEnvironmentDirectoryAndStatusAreTheOnesGiven() throws IOException {
        Ran r = run(List.of("sh", "-c", "printf '%s|' \"$0\" \"$1\" \"$GREETING\" \"$(pwd)\"; echo oops >&2; exit 7", "x y", "$(id)"), null);
        assertThat(r.out()).isEqualTo("x y|$(id)|a b|" + dir.toRealPath() + "|");
        assertThat(r.err()).isEqualTo("oops\n");
        assertThat(r.status()).isEqualTo(Exec.Exit.code(7));
    }

    @Test
    void stdinIsAPipeOrDevNull() throws IOException {
        assertThat(run(List.of("cat"), "fed through\n").out()).isEqualTo("fed through\n");
        assertThat(run(List.of("cat"), null).out()).as("/dev/null: an immediate end of file").isEmpty();
    }

    @Test
    void theCommandLeadsANewSessionAndHoldsNoDescriptorOfTheAgents() throws IOException {
        Ran r = run(List.of("sh", "-c", "ps -o pid=,sid=,pgid= -p $$; ls /proc/self/fd"), null);
        String[] ids = r.out().lines().findFirst().orElseThrow().trim().split("\\s+");
        assertThat(ids[1]).as("session id is its pid").isEqualTo(ids[0]);
        assertThat(ids[2]).as("process group id is its pid").isEqualTo(ids[0]);
        // ls's own: 0, 1, 2 and the directory it reads
        assertThat(r.out().lines().skip(1).map(Integer::parseInt).filter(fd -> fd > 3)).isEmpty();
    }

    @Test
    void aSignalEndsWith128PlusItsNumberAndReachesTheWholeGroup() throws IOException {
        assertThat(run(List.of("sh", "-c", "kill -9 $$"), null).status()).isEqualTo(Exec.Exit.killedBy(9));
        assertThat(run(List.of("sh", "-c", "exit 137"), null).status()).as("exit 137 by itself is no signal").isEqualTo(Exec.Exit.code(137));
        Spawn.Child c = Spawn.start(List.of("sh", "-c", "sleep 60 & sleep 60; echo never"), ENV, dir.toString(), new Spawn.Pipes(false));
        assertThat(Spawn.signalGroup(c.pid(), 15)).isTrue();
        Exec.Exit exit = Spawn.waitFor(c.pid());
        assertThat(exit.signal()).isEqualTo(15);
        assertThat(exit.status()).isEqualTo(128 + 15);
        try (InputStream o = Fds.input(c.stdout())) {
            assertThat(o.readAllBytes()).as("the background sleep got it too: the pipe closed").isEmpty();
        }
        Fds.close(c.stderr());
    }

    @Test
    void aProgramThatCannotRunIsNamedWithItsReason() throws IOException {
        assertThatThrownBy(() -> Spawn.start(List.of("no-such-program-here"), ENV, dir.toString(), new Spawn.Pipes(false)))
                .isInstanceOf(Spawn.NotStarted.class).hasMessageContaining("no-such-program-here")
                .satisfies(e -> assertThat(((Spawn.NotStarted) e).errno).isEqualTo(Spawn.ENOENT));
        Path notExecutable = Files.writeString(dir.resolve("script"), "#!/bin/sh\n");
        assertThatThrownBy(() -> Spawn.start(List.of(notExecutable.toString()), ENV, dir.toString(), new Spawn.Pipes(false)))
                .isInstanceOf(Spawn.NotStarted.class).hasMessageContaining("Permission denied");
    }

    @Test
    void exitStatusDecoding() {
        assertThat(Spawn.exit(0)).isEqualTo(Exec.Exit.code(0));
        assertThat(Spawn.exit(3 << 8)).isEqualTo(Exec.Exit.code(3));
        assertThat(Spawn.exit(137 << 8)).as("exit 137").isEqualTo(Exec.Exit.code(137));
        assertThat(Spawn.exit(9)).isEqualTo(Exec.Exit.killedBy(9));
        assertThat(Spawn.exit(0x80 | 11)).as("core dumped").isEqualTo(Exec.Exit.killedBy(11));
    }
}
