package dev.banger.core.archfixture;

/**
 * Arch fixture: core code that uses Runtime for something other than exec. Rule (a) must NOT flag it
 * (bangerd's Main registers a shutdown hook the same way).
 */
public final class UsesRuntimeHarmlessly {
    private UsesRuntimeHarmlessly() {
    }

    public static int cpus() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> { }));
        return Runtime.getRuntime().availableProcessors();
    }
}
