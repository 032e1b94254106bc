package dev.banger.daemon.e2b;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.core.Text;
import dev.banger.core.e2b.E2bSecrets;
import dev.banger.store.E2bStore;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Optional;
import java.util.random.RandomGenerator;

/** The E2B API's keys: made, listed and revoked over RPC ({@code banger e2b key}), checked on every REST call. */
public final class E2bKeys {
    private static final int MAX_NAME = 64;
    private final E2bStore store;
    private final Clock clock;
    private final RandomGenerator random;

    /** {@code random} must be a SecureRandom: keys and salts come from it. */
    public E2bKeys(E2bStore store, Clock clock, java.security.SecureRandom random) {
        this.store = store;
        this.clock = clock;
        this.random = random;
    }

    public Params.E2bKeyCreated create(Params.E2bKeyCreate request) {
        String name = request.name() == null ? "" : request.name();
        if (name.length() > MAX_NAME || !name.chars().allMatch(ch -> ch >= 0x20 && ch != 0x7f)) {
            throw BangerException.invalid("--name " + Text.quote(name) + ": at most " + MAX_NAME + " printable characters");
        }
        byte[] secret = bytes(E2bSecrets.KEY_RANDOM_BYTES);
        String key = E2bSecrets.newKey(secret);
        byte[] salt = bytes(E2bSecrets.SALT_BYTES);
        String id = HexFormat.of().formatHex(bytes(6));
        var stored = new E2bStore.StoredKey(id, name, salt, E2bSecrets.hash(salt, key), clock.instant(), null);
        store.insertKey(stored);
        return new Params.E2bKeyCreated(id, name, key, stored.createdAt());
    }

    public Params.E2bKeyList list() {
        return new Params.E2bKeyList(store.keys().stream().map(E2bKeys::info).toList());
    }

    public Params.E2bKeyInfo revoke(Params.E2bKeyRef ref) {
        if (ref.id() == null || !store.revokeKey(ref.id(), clock.instant())) {
            boolean known = ref.id() != null && store.keys().stream().anyMatch(k -> k.id().equals(ref.id()));
            throw new BangerException(known ? ErrorCode.FAILED_PRECONDITION : ErrorCode.NOT_FOUND, known
                    ? "key " + ref.id() + " is revoked already"
                    : "no E2B API key with id " + Text.quote(String.valueOf(ref.id())) + " (see 'banger e2b key list')");
        }
        return store.keys().stream().filter(k -> k.id().equals(ref.id())).map(E2bKeys::info).findFirst().orElseThrow();
    }

    /**
     * The id of the unrevoked key {@code presented} is, if any. Every active key's digest is computed and compared in constant
     * time, match or not, so the time taken says nothing of which key (or how much of one) was right.
     */
    Optional<String> authenticate(String presented) {
        if (!E2bSecrets.wellFormed(presented)) {
            return Optional.empty();
        }
        String found = null;
        for (E2bStore.StoredKey k : store.keys()) {
            if (!k.revoked() && E2bSecrets.matches(k.salt(), k.hash(), presented) && found == null) {
                found = k.id();
            }
        }
        return Optional.ofNullable(found);
    }

    private static Params.E2bKeyInfo info(E2bStore.StoredKey k) {
        return new Params.E2bKeyInfo(k.id(), k.name(), k.createdAt(), k.revokedAt());
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
