package dev.banger.cli;

import java.time.Duration;

/** Short human durations for tables: 45s, 12m, 3h, 5d. */
final class Durations {
    private Durations() {
    }

    static String shortForm(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m";
        }
        if (s < 86400) {
            return s / 3600 + "h";
        }
        return s / 86400 + "d";
    }
}
