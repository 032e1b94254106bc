package dev.banger.host.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.vm.QmpMessages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class QmpClientTest {
    private static final Duration SHORT = Duration.ofMillis(700);

    @TempDir
    Path dir;

    private Path sock() {
        return dir.resolve("api.sock");
    }

    @Test
    void greetingCapabilitiesAndAStatusWithAnInterleavedEvent() throws Exception {
        try (FakeQmpServer fake = new FakeQmpServer(sock(), peer -> {
            peer.handshake();
            FakeQmpServer.Command c = peer.read();
            peer.send("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}");
            peer.send("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": " + c.id() + "}");
            peer.read();
        }); QmpClient qmp = QmpClient.connect(sock(), SHORT)) {
            assertThat(qmp.qemuVersion()).isEqualTo("7.2.22");
            assertThat(qmp.status()).isEqualTo(new QmpMessages.Status("running", true));
            assertThat(qmp.events()).extracting(QmpMessages.Event::name).containsExactly("RESUME");
            assertThat(fake.received).hasSize(2);
            assertThat(fake.received.get(0)).isEqualTo("{\"execute\":\"qmp_capabilities\",\"id\":1}");
            assertThat(fake.received.get(1)).isEqualTo("{\"execute\":\"query-status\",\"id\":2}");
        }
    }

    @Test
    void powerdownAndQuitAreSent() throws Exception {
        try (FakeQmpServer fake = new FakeQmpServer(sock(), peer -> {
            peer.handshake();
            FakeQmpServer.Command pd = peer.read();
            peer.send("{\"return\": {}, \"id\": " + pd.id() + "}");
            peer.send("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"POWERDOWN\"}");
            peer.read(); // quit: QEMU exits before answering
        }); QmpClient qmp = QmpClient.connect(sock(), SHORT)) {
            qmp.powerdown();
            qmp.quit();
            assertThat(fake.received).extracting(l -> l.replaceAll(".*\"execute\":\"([^\"]+)\".*", "$1"))
                    .containsExactly("qmp_capabilities", "system_powerdown", "quit");
            assertThat(qmp.events()).extracting(QmpMessages.Event::name).containsExactly("POWERDOWN");
        }
    }

    @Test
    void anErrorReplyNamesTheCommandClassAndDescription() throws Exception {
        try (FakeQmpServer _ = new FakeQmpServer(sock(), peer -> {
            peer.handshake();
            FakeQmpServer.Command c = peer.read();
            peer.send("{\"id\": " + c.id() + ", \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been found\"}}");
            c = peer.read();
            peer.send("{\"return\": {\"status\": \"paused\", \"running\": false}, \"id\": " + c.id() + "}");
            peer.read();
        }); QmpClient qmp = QmpClient.connect(sock(), SHORT)) {
            assertThatThrownBy(() -> qmp.execute("nope", SHORT))
                    .isInstanceOf(QmpClient.CommandFailed.class)
                    .hasMessage("QEMU refused nope on " + sock() + ": CommandNotFound: The command nope has not been found")
                    .satisfies(e -> assertThat(((QmpClient.CommandFailed) e).errorClass()).isEqualTo("CommandNotFound"));
            // The connection stays usable after a refusal.
            assertThat(qmp.status().status()).isEqualTo("paused");
        }
    }

    @Test
    void aPeerThatNeverGreetsTimesOut() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FakeQmpServer _ = new FakeQmpServer(sock(), peer -> {
            try {
                release.await(20, TimeUnit.SECONDS); // like QEMU while another client holds QMP
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> QmpClient.connect(sock(), SHORT))
                    .isInstanceOf(QmpClient.TimedOut.class)
                    .hasMessageContaining("did not answer the greeting")
                    .hasMessageContaining("another client holds its QMP socket");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(SHORT.minusMillis(50), Duration.ofSeconds(5));
            release.countDown();
        }
    }

    @Test
    void aPeerThatNeverAnswersACommandTimesOutAndALateReplyIsSkipped() throws Exception {
        CountDownLatch answered = new CountDownLatch(1);
        try (FakeQmpServer _ = new FakeQmpServer(sock(), peer -> {
            peer.handshake();
            FakeQmpServer.Command first = peer.read(); // not answered in time
            FakeQmpServer.Command second = peer.read();
            peer.send("{\"return\": {\"status\": \"wrong\", \"running\": false}, \"id\": " + first.id() + "}"); // late
            peer.send("{\"return\": {\"status\": \"running\", \"running\": true}, \"id\": " + second.id() + "}");
            answered.countDown();
            peer.read();
        }); QmpClient qmp = QmpClient.connect(sock(), SHORT)) {
            assertThatThrownBy(qmp::status).isInstanceOf(QmpClient.TimedOut.class)
                    .hasMessageContaining("did not answer query-status on " + sock());
            assertThat(qmp.status().status()).isEqualTo("running");
            assertThat(answered.await(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void missingSocketSaysQemuIsNotRunning() {
        assertThatThrownBy(() -> QmpClient.connect(sock(), SHORT))
                .isInstanceOf(BangerException.class)
                .hasMessageContaining("does not exist: the VM's QEMU is not running")
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.FAILED_PRECONDITION));
    }

    @Test
    void aStaleSocketFileIsRefusedNotHungOn() throws Exception {
        // A socket file whose listener is gone: what a killed QEMU leaves behind.
        new FakeQmpServer(sock(), peer -> { }).closeKeepingFile();
        assertThatThrownBy(() -> QmpClient.connect(sock(), SHORT))
                .isInstanceOf(BangerException.class)
                .hasMessageContaining("cannot connect to QMP socket")
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.FAILED_PRECONDITION));
    }

    @Test
    void aPeerThatIsNotQemuIsRefused() throws Exception {
        try (FakeQmpServer _ = new FakeQmpServer(sock(), peer -> {
            peer.send("{\"return\": {}}");
            peer.read();
        })) {
            assertThatThrownBy(() -> QmpClient.connect(sock(), SHORT)).isInstanceOf(BangerException.class)
                    .hasMessageContaining("did not greet like QEMU");
        }
        try (FakeQmpServer _ = new FakeQmpServer(sock(), peer -> {
            peer.send("SSH-2.0-OpenSSH_9.2");
            peer.read();
        })) {
            assertThatThrownBy(() -> QmpClient.connect(sock(), SHORT)).isInstanceOf(BangerException.class)
                    .hasMessageContaining("not JSON");
        }
    }

    @Test
    void anOverlongLineEndsTheConnection() throws Exception {
        try (FakeQmpServer _ = new FakeQmpServer(sock(), peer -> {
            peer.handshake();
            peer.read();
            byte[] junk = new byte[QmpMessages.MAX_LINE_BYTES + 10];
            java.util.Arrays.fill(junk, (byte) 'x');
            peer.sendRaw(junk);
            peer.read();
        }); QmpClient qmp = QmpClient.connect(sock(), Duration.ofSeconds(5))) {
            assertThatThrownBy(qmp::status).isInstanceOf(BangerException.class).hasMessageContaining("connection dropped");
            assertThatThrownBy(qmp::status).isInstanceOf(BangerException.class).hasMessageContaining("no longer usable");
        }
    }

    @Test
    void aPeerThatHangsUpMidCommandIsReported() throws Exception {
        try (FakeQmpServer _ = new FakeQmpServer(sock(), peer -> {
            peer.handshake();
            peer.read();
            // and close without a word
        }); QmpClient qmp = QmpClient.connect(sock(), SHORT)) {
            assertThatThrownBy(qmp::powerdown).isInstanceOf(QmpClient.ConnectionClosed.class)
                    .hasMessageContaining("QEMU closed the QMP connection");
        }
    }

    @Test
    void eventsAreBoundedAndBlankOrUnknownLinesSkipped() throws Exception {
        try (FakeQmpServer _ = new FakeQmpServer(sock(), peer -> {
            peer.send("{\"event\": \"EARLY\"}");
            peer.handshake();
            FakeQmpServer.Command c = peer.read();
            StringBuilder burst = new StringBuilder();
            for (int i = 0; i < QmpClient.MAX_EVENTS + 50; i++) {
                burst.append("{\"event\": \"E").append(i).append("\"}\n\n");
            }
            burst.append("{\"something\": \"new\"}\n");
            burst.append("{\"return\": {\"status\": \"running\", \"running\": true}, \"id\": ").append(c.id()).append("}\n");
            peer.sendRaw(burst.toString().getBytes(StandardCharsets.UTF_8));
            peer.read();
        }); QmpClient qmp = QmpClient.connect(sock(), Duration.ofSeconds(5))) {
            assertThat(qmp.status().running()).isTrue();
            assertThat(qmp.events()).hasSize(QmpClient.MAX_EVENTS);
            assertThat(qmp.events().getLast().name()).isEqualTo("E" + (QmpClient.MAX_EVENTS + 49));
        }
    }
}
