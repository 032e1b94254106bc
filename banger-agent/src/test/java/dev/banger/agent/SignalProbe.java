package dev.banger.agent;

/**
 * Run by {@link LaunchTest} as a background job of a shell (which starts it with SIGINT and SIGQUIT
 * ignored, as the guest's boot starts the agent): resets them or not (its argument), then prints the
 * ignored-signal mask a command it starts inherits.
 */
public final class SignalProbe {
    private SignalProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("reset")) {
            Launch.resetIgnoredSignals();
        }
        Process p = new ProcessBuilder("grep", "SigIgn", "/proc/self/status").redirectErrorStream(true).start();
        System.out.print(new String(p.getInputStream().readAllBytes()));
        p.waitFor();
    }
}
