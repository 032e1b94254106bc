package dev.banger.core.e2b;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.OptionalLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class EnvdRulesTest {
    private static String basic(String credentials) {
        return "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theUserIsTheSdksBasicAuthNameOrTheDefault() {
        assertThat(EnvdRules.user(null)).isEqualTo("user");
        assertThat(EnvdRules.user(basic("root:"))).isEqualTo("root");
        assertThat(EnvdRules.user(basic("alice"))).isEqualTo("alice");
        assertThatThrownBy(() -> EnvdRules.user("Bearer abc")).hasMessageContaining("Basic");
        assertThatThrownBy(() -> EnvdRules.user("Basic %%%")).hasMessageContaining("base64");
        assertThatThrownBy(() -> EnvdRules.user(basic("../etc:"))).hasMessageContaining("not a user name");
        assertThatThrownBy(() -> EnvdRules.user(basic(":"))).hasMessageContaining("not a user name");
        assertThat(EnvdRules.queryUser("")).isEqualTo("user");
        assertThatThrownBy(() -> EnvdRules.queryUser("Root")).hasMessageContaining("not a user name");
    }

    @Test
    void pathsResolveUnderTheUsersHomeAsEnvdDoes() {
        assertThat(EnvdRules.resolve("/etc/hostname", "user")).isEqualTo("/etc/hostname");
        assertThat(EnvdRules.resolve("notes.txt", "user")).isEqualTo("/home/user/notes.txt");
        assertThat(EnvdRules.resolve("~", "root")).isEqualTo("/root");
        assertThat(EnvdRules.resolve("~/a/b", "user")).isEqualTo("/home/user/a/b");
        assertThatThrownBy(() -> EnvdRules.resolve("", "user")).hasMessageContaining("required");
        assertThatThrownBy(() -> EnvdRules.resolve("a\0b", "user")).hasMessageContaining("NUL");
        assertThatThrownBy(() -> EnvdRules.resolve("/" + "a".repeat(5000), "user")).hasMessageContaining("at most");
    }

    @Property
    void everyResolvedPathIsAbsolute(@ForAll @StringLength(min = 1, max = 200) String path) {
        if (path.indexOf('\0') < 0) {
            assertThat(EnvdRules.resolve(path, "user")).startsWith("/");
        }
    }

    @Test
    void signaturesMatchTheSdks() {
        // Computed with Node's crypto exactly as the SDK 2.51.0's getSignature does.
        assertThat(EnvdRules.signature("/home/user/a.txt", "read", "user", "tok123", 1_700_000_000L))
                .isEqualTo("v1_V+Uu+RuPgK3z3SyT4Wv9NjsTMFBou2vkE1dnhJOU0HE");
        assertThat(EnvdRules.signature("x.txt", "write", null, "tok123", null)).isEqualTo("v1_aLdHP72DZ35Gxte3Z0H3BBNZlIJiiK/1D14o/T87Ew8");
        assertThat(EnvdRules.unexpired(null, 5)).isTrue();
        assertThat(EnvdRules.unexpired(4L, 5)).isFalse();
        assertThat(EnvdRules.unexpired(5L, 5)).isTrue();
        assertThatThrownBy(() -> EnvdRules.expiration("soon")).hasMessageContaining("Unix seconds");
    }

    @Test
    void keepalivesAndDeadlinesAreBounded() {
        assertThat(EnvdRules.keepaliveSeconds(null)).isEqualTo(50);
        assertThat(EnvdRules.keepaliveSeconds("0")).isEqualTo(1);
        assertThat(EnvdRules.keepaliveSeconds("100000")).isEqualTo(EnvdRules.MAX_KEEPALIVE_SECONDS);
        assertThat(EnvdRules.keepaliveSeconds("x")).isEqualTo(50);
        assertThat(EnvdRules.deadlineMillis(null)).isEqualTo(OptionalLong.empty());
        assertThat(EnvdRules.deadlineMillis("0")).isEqualTo(OptionalLong.empty());
        assertThat(EnvdRules.deadlineMillis("60000")).isEqualTo(OptionalLong.of(60_000));
        assertThat(EnvdRules.deadlineMillis("999999999999")).isEqualTo(OptionalLong.of(EnvdRules.MAX_DEADLINE_MILLIS));
        assertThatThrownBy(() -> EnvdRules.deadlineMillis("-1")).hasMessageContaining("negative");
    }

    @Test
    void anEndIsSaidAsEnvdSaysIt() {
        assertThat(EnvdRules.end(0, 0)).isEqualTo(new EnvdRules.End(0, true, "exit status 0", null));
        assertThat(EnvdRules.end(3, 0)).isEqualTo(new EnvdRules.End(3, true, "exit status 3", "exit status 3"));
        assertThat(EnvdRules.end(137, 9)).isEqualTo(new EnvdRules.End(-1, false, "signal: killed", "signal: killed"));
        assertThat(EnvdRules.end(143, 15).status()).isEqualTo("signal: terminated");
        assertThat(EnvdRules.end(130, 2).status()).isEqualTo("signal: interrupt");
        assertThat(EnvdRules.end(159, 31).status()).isEqualTo("signal: bad system call");
        assertThat(EnvdRules.end(162, 34).status()).as("a real-time signal has no name in Go's table").isEqualTo("signal: signal 34");
        assertThat(EnvdRules.end(137, 0)).as("exit 137 by itself").isEqualTo(new EnvdRules.End(137, true, "exit status 137", "exit status 137"));
        assertThat(EnvdRules.end(0, 65).exited()).as("not a signal").isTrue();
    }
}
