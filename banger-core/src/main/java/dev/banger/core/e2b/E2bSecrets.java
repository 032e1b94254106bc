package dev.banger.core.e2b;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * API keys and envd access tokens: their format, and how they are kept and checked. Pure: the caller supplies the random
 * bytes (a SecureRandom) and stores what this returns.
 * <ul>
 *   <li>An API key is {@code e2b_} and 40 hex digits (160 random bits), as E2B's own look. Only SHA-256(salt || key) is
 *       stored, with a 16-byte random salt; a check compares digests with {@link MessageDigest#isEqual} (constant time).</li>
 *   <li>A sandbox's envd access token must be given again by {@code connect} (a second client needs it), so it cannot be
 *       kept only as a hash: it is HMAC-SHA256(daemon secret, per-sandbox salt), recomputed on demand. The database alone
 *       (salt) reveals nothing; the secret lives in a 0600 file beside it.</li>
 * </ul>
 */
public final class E2bSecrets {
    public static final String KEY_PREFIX = "e2b_";
    public static final int KEY_RANDOM_BYTES = 20;
    public static final int SALT_BYTES = 16;
    private static final Pattern KEY = Pattern.compile("e2b_[0-9a-f]{40}");
    private static final HexFormat HEX = HexFormat.of();

    private E2bSecrets() {
    }

    /** A new API key from {@link #KEY_RANDOM_BYTES} random bytes. */
    public static String newKey(byte[] random) {
        if (random.length != KEY_RANDOM_BYTES) {
            throw new IllegalArgumentException("an API key takes " + KEY_RANDOM_BYTES + " random bytes");
        }
        return KEY_PREFIX + HEX.formatHex(random);
    }

    /** True for the shape of a key this daemon makes (a cheap filter before any hashing; never the check itself). */
    public static boolean wellFormed(String key) {
        return key != null && KEY.matcher(key).matches();
    }

    /** SHA-256(salt || key), the stored form of an API key. */
    public static byte[] hash(byte[] salt, String key) {
        MessageDigest sha = sha256();
        sha.update(salt);
        sha.update(key.getBytes(StandardCharsets.UTF_8));
        return sha.digest();
    }

    /** Whether {@code candidate} is the key stored as {@code salt}, {@code hash}; the digests are compared in constant time. */
    public static boolean matches(byte[] salt, byte[] hash, String candidate) {
        if (candidate == null) {
            return false;
        }
        return MessageDigest.isEqual(hash, hash(salt, candidate));
    }

    /** A sandbox's envd access token: 64 hex digits, derived from the daemon's secret and the sandbox's salt. */
    public static String envdToken(byte[] secret, byte[] salt) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return HEX.formatHex(mac.doFinal(salt));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** Whether {@code candidate} is the sandbox's token, compared in constant time. */
    public static boolean tokenMatches(byte[] secret, byte[] salt, String candidate) {
        if (candidate == null) {
            return false;
        }
        return MessageDigest.isEqual(envdToken(secret, salt).getBytes(StandardCharsets.US_ASCII),
                candidate.getBytes(StandardCharsets.UTF_8));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
