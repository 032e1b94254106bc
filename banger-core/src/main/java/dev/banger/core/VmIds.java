package dev.banger.core;

import java.util.HexFormat;
import java.util.random.RandomGenerator;

/**
 * VM ids: 12 lowercase hex digits (48 random bits). Short on purpose: they name the VM directory, and
 * every Unix socket inside it must fit in 107 bytes.
 */
public final class VmIds {
    public static final int LENGTH = 12;

    private VmIds() {
    }

    public static String generate(RandomGenerator random) {
        byte[] bytes = new byte[LENGTH / 2];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    public static boolean looksLikeId(String s) {
        return s != null && s.length() == LENGTH && s.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
}
