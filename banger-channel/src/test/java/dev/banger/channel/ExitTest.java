package dev.banger.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The EXIT record with and without its signal, and a guest's signal that is not one. */
class ExitTest {
    @Test
    void aSignalTravelsOnlyWhenAskedAndWhenThereIsOne() throws IOException {
        Exec.Exit killed = Exec.Exit.killedBy(9);
        assertThat(killed.status()).isEqualTo(137);
        assertThat(killed.payload(true)).hasSize(8);
        assertThat(Exec.Exit.read(killed.payload(true))).isEqualTo(killed);
        assertThat(killed.payload(false)).as("a reader that did not ask gets the shell's status alone").hasSize(4);
        assertThat(Exec.Exit.read(killed.payload(false))).isEqualTo(Exec.Exit.code(137));
        assertThat(Records.u32(killed.payload(false))).isEqualTo(137);
        assertThat(Exec.Exit.code(3).payload(true)).as("no signal, nothing after the status").hasSize(4);
        assertThat(Exec.Exit.read(Exec.Exit.code(3).payload(true))).isEqualTo(Exec.Exit.code(3));
    }

    @Test
    void aSignalsStatusIsTheShells() {
        assertThat(Exec.Exit.killedBy(15).status()).isEqualTo(143);
        assertThat(Exec.Exit.code(143).status()).as("exit 143 by itself").isEqualTo(143);
        assertThat(Exec.Exit.code(143).signalled()).isFalse();
        assertThat(Exec.Exit.code(0).status()).isZero();
    }

    @Test
    void aGuestsSignalThatIsNotOneSteersNothing() throws IOException {
        assertThat(Exec.Exit.read(payload(137, 0))).isEqualTo(Exec.Exit.code(137));
        assertThat(Exec.Exit.read(payload(128 + 65, 65))).as("above SIGRTMAX").isEqualTo(Exec.Exit.code(193));
        assertThat(Exec.Exit.read(payload(0, 9))).as("disagrees with the status").isEqualTo(Exec.Exit.code(0));
        assertThat(Exec.Exit.read(payload(-1, -1))).as("u32 max as a signal").isEqualTo(Exec.Exit.code(-1));
        assertThatThrownBy(() -> Exec.Exit.read(new byte[6])).isInstanceOf(IOException.class).hasMessageContaining("4 or 8");
        assertThatThrownBy(() -> new Exec.Exit(0, 9)).isInstanceOf(IllegalArgumentException.class);
    }

    @Property(tries = 300)
    void anyEightBytesReadAsAnExitWhoseSignalAgrees(@ForAll int status, @ForAll int signal) throws IOException {
        Exec.Exit e = Exec.Exit.read(payload(status, signal));
        assertThat(e.status()).isEqualTo(status);
        assertThat(e.signal() == 0 || (e.signal() >= 1 && e.signal() <= 64 && e.status() == 128 + e.signal())).isTrue();
    }

    private static byte[] payload(int status, int signal) {
        byte[] s = Records.u32(status);
        byte[] n = Records.u32(signal);
        return new byte[] {s[0], s[1], s[2], s[3], n[0], n[1], n[2], n[3]};
    }
}
