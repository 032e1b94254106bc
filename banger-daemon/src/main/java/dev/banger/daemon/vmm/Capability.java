package dev.banger.daemon.vmm;

/**
 * What a VMM driver may or may not be able to do beyond booting and stopping a VM. A feature asks the
 * driver ({@link Vmm#supports}) through {@link Vmms#require}, never by checking which driver it is.
 */
public enum Capability {
    /** Save a running VM's memory, devices and disks, and resume from them. */
    SNAPSHOT("snapshots"),
    /** Share a host directory into the guest. */
    MOUNT("host directory mounts");

    private final String what;

    Capability(String what) {
        this.what = what;
    }

    /** What it is, for messages. */
    public String what() {
        return what;
    }

    /** Whether a driver has a capability, and if not, why (for the user). */
    public record Support(boolean available, String reason) {
        public static Support yes() {
            return new Support(true, null);
        }

        public static Support no(String reason) {
            return new Support(false, reason);
        }
    }
}
