package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** When banger cannot work, it exits 1 with a message that says why and what to do. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FailureMessagesIT {
    private BangerHome home;

    @BeforeEach
    void freshHome() {
        home = BangerHome.create();
    }

    @AfterEach
    void cleanUp() {
        home.close();
    }

    @Test
    void unprivilegedUserCannotStartTheDaemon() throws IOException {
        // The home is root's, mode 0700: user nobody can neither see a socket there nor start a daemon.
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.path()))).isEqualTo("rwx------");
        BangerHome.Result canRun = home.run(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "test", "-r",
                home.repoDir().resolve("banger-cli/target/banger.jar").toString()), Duration.ofSeconds(10));
        Assumptions.assumeTrue(canRun.exitCode() == 0, "user nobody cannot read the checkout " + home.repoDir()
                + "; this test needs a checkout outside private directories");

        BangerHome.Result r = home.run(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                home.repoDir().resolve("bin/banger").toString(), "vm", "list"), BangerHome.CLI_TIMEOUT);

        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.stderr()).contains("only root can start it");
        assertThat(r.stdout()).isEmpty();
        assertThat(home.daemons()).isEmpty();
        assertThat(home.socket()).doesNotExist();
    }

    @Test
    void foreignProcessOnTheSocketIsReportedAsNotSpeakingBangersProtocol() throws Exception {
        Files.createDirectories(home.socket().getParent());
        AtomicInteger served = new AtomicInteger();
        try (ServerSocketChannel foreign = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            foreign.bind(UnixDomainSocketAddress.of(home.socket()));
            Thread impostor = Thread.ofPlatform().daemon().name("impostor").start(() -> answerWithGarbage(foreign, served));

            BangerHome.Result r = home.banger("vm", "list");

            assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
            assertThat(r.stderr()).contains("is held by a process that does not speak banger's protocol")
                    .contains(home.socket().toString());
            assertThat(served.get()).as("the CLI talked to the impostor").isPositive();
            assertThat(home.daemons()).as("no bangerd is started beside the impostor").isEmpty();
            foreign.close();
            impostor.join(10_000);
        }
        Files.deleteIfExists(home.socket());
    }

    /** Reads a request line, answers it with an HTTP status line, hangs up; until the server is closed. */
    private static void answerWithGarbage(ServerSocketChannel server, AtomicInteger served) {
        while (true) {
            try (SocketChannel client = server.accept()) {
                ByteBuffer in = ByteBuffer.allocate(4096);
                boolean newline = false;
                while (!newline && in.hasRemaining() && client.read(in) >= 0) {
                    for (int i = 0; i < in.position(); i++) {
                        newline |= in.get(i) == '\n';
                    }
                }
                served.incrementAndGet();
                client.write(ByteBuffer.wrap("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            } catch (ClosedChannelException closed) {
                return;
            } catch (IOException e) {
                // a client that hung up early; serve the next
            }
        }
    }

    @Test
    void daemonThatCrashesAtStartHasItsErrorShownByTheCli() throws IOException {
        Files.writeString(home.configFile(), "[network]\nsubnet = \"bogus\"\n");

        BangerHome.Result r = home.banger("vm", "list");

        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.stderr()).contains("bangerd exited with status 1 before it was ready");
        assertThat(home.log()).exists();
        List<String> errorLines = Files.readAllLines(home.log()).stream().filter(l -> l.startsWith("bangerd: error:")).toList();
        assertThat(errorLines).as("the daemon's own error line in %s", home.log()).hasSize(1);
        String daemonError = errorLines.getFirst();
        assertThat(daemonError).contains("network.subnet").contains("bogus").contains(home.configFile().toString());
        assertThat(r.stderr()).as("the CLI shows the daemon's error line").contains(daemonError.substring("bangerd: error: ".length()));
        assertThat(home.daemons()).isEmpty();
        assertThat(home.socket()).doesNotExist();
    }

    @Test
    void secondBangerdOnAServedHomeExits1SayingAnotherServesIt() {
        long first = home.startDaemon();

        BangerHome.Result second = home.run(List.of(home.repoDir().resolve("bin/bangerd").toString()), Duration.ofSeconds(60));

        assertThat(second.exitCode()).as("%s", second).isEqualTo(1);
        assertThat(second.stderr()).contains("another bangerd (pid " + first + ") already serves this state directory");
        assertThat(home.daemonPid()).as("the first daemon still serves").isEqualTo(first);
        assertThat(home.daemons()).extracting(ProcessHandle::pid).containsExactly(first);
        assertThat(home.socket()).exists();
    }
}
