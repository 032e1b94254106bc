package dev.banger.core.archfixture;

import java.io.IOException;

/** Arch fixture: core code that shells out through Runtime.exec. Violates rule (a). */
public final class ExecsViaRuntime {
    private ExecsViaRuntime() {
    }

    public static void run() throws IOException {
        Runtime.getRuntime().exec(new String[] {"true"}).destroy();
    }
}
