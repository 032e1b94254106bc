package dev.banger.agent;

/**
 * The guest agent's entry point. It runs inside the VM in a trimmed Java runtime; the endpoints it
 * serves (health, version, ports) arrive with the guest-agent issue. Until then it only reports its
 * version, so images can already ship and verify it.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        if (args.length == 1 && args[0].equals("--version")) {
            System.out.println("banger-agent " + version());
            return;
        }
        System.err.println("banger-agent: usage: banger-agent --version (the serving endpoints come with the guest agent issue)");
        System.exit(2);
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "unknown" : v;
    }
}
