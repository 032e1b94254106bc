package dev.banger.host;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AccountsTest {
    @Test
    void rootResolvesToZero() {
        assertThat(Accounts.uid("root")).hasValue(0);
        assertThat(Accounts.gid("root")).hasValue(0);
    }

    @Test
    void numericNamesAreTheirOwnIds() {
        assertThat(Accounts.uid("4242")).hasValue(4242);
    }

    @Test
    void unknownAndHostileNamesResolveToNothing() {
        assertThat(Accounts.uid("no-such-user-banger-test")).isEmpty();
        assertThat(Accounts.uid("-x")).isEmpty();
        assertThat(Accounts.uid("")).isEmpty();
        assertThat(Accounts.uid(null)).isEmpty();
    }

    @Test
    void onlyTheNamedLineCounts() {
        assertThat(Accounts.idField("alice:x:1000:1000::/home/alice:/bin/sh", "alice")).hasValue(1000);
        assertThat(Accounts.idField("alice:x:1000:1000::/home/alice:/bin/sh", "alic")).isEmpty();
        assertThat(Accounts.idField("broken", "broken")).isEmpty();
        assertThat(Accounts.idField("bob:x:notanumber:1", "bob")).isEmpty();
    }
}
