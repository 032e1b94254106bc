package dev.banger.fcstub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandLineTest {
    @Test
    void flagsInEitherOrder() {
        CommandLine a = CommandLine.parse(List.of("--api-sock", "/v/api.sock", "--id", "abc"));
        CommandLine b = CommandLine.parse(List.of("--id", "abc", "--api-sock", "/v/api.sock"));
        assertThat(a).isEqualTo(b);
        assertThat(a.apiSock()).isEqualTo(Path.of("/v/api.sock"));
        assertThat(a.id()).isEqualTo("abc");
        assertThat(a.version()).isFalse();
    }

    @Test
    void idIsOptionalAndTheSocketHasFirecrackersDefault() {
        CommandLine c = CommandLine.parse(List.of("--api-sock", "/v/api.sock"));
        assertThat(c.id()).isNull();
        assertThat(CommandLine.parse(List.of()).apiSock()).isEqualTo(Path.of("/run/firecracker.socket"));
    }

    @Test
    void refusals() {
        assertThatThrownBy(() -> CommandLine.parse(List.of("--api-sock", "/a", "--no-seccomp"))).hasMessageContaining("--no-seccomp");
        assertThatThrownBy(() -> CommandLine.parse(List.of("--api-sock"))).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> CommandLine.parse(List.of("--api-sock", "--id", "x"))).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> CommandLine.parse(List.of("--api-sock", "/a", "--api-sock", "/b"))).hasMessageContaining("twice");
        assertThatThrownBy(() -> CommandLine.parse(List.of("--id", "a_b"))).hasMessageContaining("Invalid instance ID");
        assertThatThrownBy(() -> CommandLine.parse(List.of("--api-sock=/a"))).hasMessageContaining("--api-sock=/a");
    }
}
