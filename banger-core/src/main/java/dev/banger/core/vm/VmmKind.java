package dev.banger.core.vm;

import dev.banger.api.BangerException;
import dev.banger.core.Text;
import java.util.Locale;

/** Which virtual machine monitor runs a VM; chosen per host ({@code [vmm] driver}) or per VM ({@code --vmm}). */
public enum VmmKind {
    /** QEMU's microvm machine: KVM where it really works, TCG anywhere. */
    QEMU("qemu", "QEMU"),
    /** Firecracker: KVM only, its REST API on a Unix socket, vsock behind a Unix socket. */
    FIRECRACKER("firecracker", "Firecracker");

    private final String id;
    private final String displayName;

    VmmKind(String id, String displayName) {
        this.id = id;
        this.displayName = displayName;
    }

    /** The product's name, for messages. */
    public String displayName() {
        return displayName;
    }

    /** The name in configuration, RPC and the database. */
    public String id() {
        return id;
    }

    /** Parses a user's or the database's value. */
    public static VmmKind parse(String text) {
        if (text != null) {
            String t = text.strip().toLowerCase(Locale.ROOT);
            for (VmmKind k : values()) {
                if (k.id.equals(t)) {
                    return k;
                }
            }
        }
        throw BangerException.invalid("VMM '" + (text == null ? "" : Text.printable(text, 40))
                + "' is unknown: use \"qemu\" (QEMU microvm, KVM or TCG) or \"firecracker\" (needs KVM and a firecracker binary)");
    }
}
