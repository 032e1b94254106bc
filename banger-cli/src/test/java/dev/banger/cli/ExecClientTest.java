package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The CLI's end of an exec conversation, over in-memory streams: what it prints, sends and exits with. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ExecClientTest {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final ByteArrayOutputStream toDaemon = new ByteArrayOutputStream();

    private static InputStream records(Object... typeAndPayload) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < typeAndPayload.length; i += 2) {
            Object p = typeAndPayload[i + 1];
            Records.write(b, (Integer) typeAndPayload[i], p instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : (byte[]) p);
        }
        return new ByteArrayInputStream(b.toByteArray());
    }

    private int run(InputStream fromDaemon, InputStream stdin) {
        return new ExecClient(fromDaemon, toDaemon).run(stdin, new PrintStream(stdout, true), new PrintStream(stderr, true), "cannot attach");
    }

    private List<Records.Record> sent() throws IOException {
        List<Records.Record> all = new ArrayList<>();
        ByteArrayInputStream in = new ByteArrayInputStream(toDaemon.toByteArray());
        Records.Record r;
        while ((r = Records.read(in)) != null) {
            all.add(r);
        }
        return all;
    }

    @Test
    void outputGoesWhereItCameFromAndTheExitStatusIsTheResult() throws Exception {
        int status = run(records(Exec.STARTED, Records.u32(42), Exec.STDOUT, "out", Exec.STDERR, "err", 99, "a newer record",
                Exec.NOTICE, "12 bytes were dropped\u001b[31m", Exec.EXIT, Records.u32(137)), null);

        assertThat(status).isEqualTo(137);
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("out");
        assertThat(stderr.toString(StandardCharsets.UTF_8)).startsWith("err").contains("banger: 12 bytes were dropped")
                .doesNotContain("\u001b");
    }

    @Test
    void aSignalsEndIsTheShells128PlusNDecidedByTheSignal() throws Exception {
        assertThat(run(records(Exec.EXIT, Exec.Exit.killedBy(9).payload(true)), null)).isEqualTo(137);
        assertThat(run(records(Exec.EXIT, Exec.Exit.killedBy(2).payload(true)), null)).isEqualTo(130);
        byte[] disagrees = {0, 0, 0, 3, 0, 0, 0, 9};
        assertThat(run(records(Exec.EXIT, disagrees), null)).as("a guest's signal that disagrees with its status steers nothing")
                .isEqualTo(3);
    }

    @Test
    void anAgentsErrorIsAFailureNamedByWhatWasTried() throws Exception {
        assertThatThrownBy(() -> run(records(Exec.ERROR, "no detached process '0badc0de'"), null)).isInstanceOf(BangerException.class)
                .hasMessage("cannot attach: no detached process '0badc0de'");
    }

    @Test
    void aConversationThatEndsWithoutAnExitIsALostCommand() throws Exception {
        assertThatThrownBy(() -> run(records(Exec.STDOUT, "partial"), null)).isInstanceOf(BangerException.class)
                .hasMessageContaining("lost the command's output").satisfies(e ->
                        assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.AGENT_UNAVAILABLE));
        byte[] cut = {Exec.STDOUT, 0, 0, 1, 0, 'x'};
        assertThatThrownBy(() -> run(new ByteArrayInputStream(cut), null)).hasMessageContaining("lost the command's output");
    }

    @Test
    void stdinGoesOutAsRecordsThenItsEndAndResizesAsTwoNumbers() throws Exception {
        // The exit arrives only once stdin has been sent, as a command that reads to the end would answer.
        java.io.PipedOutputStream daemonSide = new java.io.PipedOutputStream();
        java.io.PipedInputStream fromDaemon = new java.io.PipedInputStream(daemonSide, 1 << 16);
        ExecClient client = new ExecClient(fromDaemon, toDaemon);
        client.resize(40, 120);
        Thread.ofVirtual().start(() -> {
            try {
                int all = (5 + 8) + (5 + "typed".length()) + 5; // RESIZE, STDIN, STDIN_EOF
                while (toDaemon.size() < all) {
                    Thread.sleep(10);
                }
                Records.write(daemonSide, Exec.EXIT, Records.u32(0));
                daemonSide.flush();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });

        int status = client.run(new ByteArrayInputStream("typed".getBytes(StandardCharsets.UTF_8)), new PrintStream(stdout),
                new PrintStream(stderr), "x");

        assertThat(status).isZero();
        List<Records.Record> sent = sent();
        assertThat(sent).extracting(Records.Record::type).containsExactly(Exec.RESIZE, Exec.STDIN, Exec.STDIN_EOF);
        assertThat(sent.get(0).payload()).isEqualTo(Exec.resize(40, 120));
        assertThat(sent.get(1).text()).isEqualTo("typed");
    }
}
