package dev.banger.core.e2b;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class E2bSecretsTest {
    private final SecureRandom random = new SecureRandom();

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    @Test
    void keysLookLikeE2bs() {
        String key = E2bSecrets.newKey(bytes(E2bSecrets.KEY_RANDOM_BYTES));
        assertThat(key).matches("e2b_[0-9a-f]{40}");
        assertThat(E2bSecrets.wellFormed(key)).isTrue();
        assertThat(E2bSecrets.wellFormed("e2b_" + "A".repeat(40))).isFalse();
        assertThat(E2bSecrets.wellFormed(key + "0")).isFalse();
        assertThat(E2bSecrets.wellFormed(null)).isFalse();
    }

    @Test
    void aKeyMatchesOnlyItsSaltedHash() {
        String key = E2bSecrets.newKey(bytes(20));
        byte[] salt = bytes(16);
        byte[] hash = E2bSecrets.hash(salt, key);
        assertThat(E2bSecrets.matches(salt, hash, key)).isTrue();
        assertThat(E2bSecrets.matches(salt, hash, E2bSecrets.newKey(bytes(20)))).isFalse();
        assertThat(E2bSecrets.matches(bytes(16), hash, key)).isFalse();
        assertThat(E2bSecrets.matches(salt, hash, null)).isFalse();
        // The same key under another salt is stored differently.
        assertThat(E2bSecrets.hash(bytes(16), key)).isNotEqualTo(hash);
    }

    @Test
    void envdTokensAreDerivedAndChecked() {
        byte[] secret = bytes(32);
        byte[] salt = bytes(16);
        String token = E2bSecrets.envdToken(secret, salt);
        assertThat(token).matches("[0-9a-f]{64}").isEqualTo(E2bSecrets.envdToken(secret, salt));
        assertThat(E2bSecrets.tokenMatches(secret, salt, token)).isTrue();
        assertThat(E2bSecrets.tokenMatches(secret, bytes(16), token)).isFalse();
        assertThat(E2bSecrets.tokenMatches(bytes(32), salt, token)).isFalse();
        assertThat(E2bSecrets.tokenMatches(secret, salt, null)).isFalse();
    }
}
