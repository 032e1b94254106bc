package dev.banger.core.net;

import dev.banger.api.BangerException;
import dev.banger.core.VmIds;

/**
 * Names of network interfaces banger creates or touches. The kernel allows at most 15 bytes (IFNAMSIZ
 * 16 with the NUL); banger further keeps to [A-Za-z0-9_.-] so a name is safe in any argv, log line or
 * nft rule, and refuses a leading '-' so {@code ip} can never read a name as an option.
 */
public final class InterfaceNames {
    public static final int MAX_LENGTH = 15;
    /** Every tap banger creates starts with this, so sweeps and teardown never touch anyone else's. */
    public static final String TAP_PREFIX = "bgr";

    private InterfaceNames() {
    }

    /** Returns the name if it is a valid interface name, else throws an error naming the rule it broke. */
    public static String validate(String name) {
        if (name == null || name.isEmpty()) {
            throw BangerException.invalid("interface name is empty: give 1-15 characters of letters, digits, '_', '.', '-'");
        }
        if (name.length() > MAX_LENGTH) {
            throw BangerException.invalid("interface name '" + printable(name) + "' is " + name.length()
                    + " characters long: Linux allows at most 15");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '.' || c == '-';
            if (!ok) {
                throw BangerException.invalid("interface name '" + printable(name) + "' contains a character other than"
                        + " letters, digits, '_', '.', '-' at position " + (i + 1));
            }
        }
        if (name.startsWith("-")) {
            throw BangerException.invalid("interface name '" + name + "' starts with '-', which ip would read as an option");
        }
        if (name.equals(".") || name.equals("..")) {
            throw BangerException.invalid("interface name '" + name + "' is not allowed by Linux");
        }
        return name;
    }

    public static boolean isValid(String name) {
        try {
            validate(name);
            return true;
        } catch (BangerException e) {
            return false;
        }
    }

    /** The tap of a VM: "bgr" + its 12-hex-digit id is exactly 15 characters, and unique per VM. */
    public static String tapFor(String vmId) {
        if (!VmIds.looksLikeId(vmId)) {
            throw BangerException.invalid("'" + printable(vmId) + "' is not a VM id (12 hex digits)");
        }
        return TAP_PREFIX + vmId;
    }

    private static String printable(String s) {
        return dev.banger.core.Text.printable(s, 40);
    }
}
