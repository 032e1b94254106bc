package dev.banger.core.net;

import dev.banger.core.Ipv4Subnet;
import java.util.Objects;

/** The bridge banger wants: its name and the subnet whose first host address it carries as gateway. */
public record BridgeSpec(String name, Ipv4Subnet subnet) {
    public BridgeSpec {
        InterfaceNames.validate(name);
        Objects.requireNonNull(subnet, "subnet");
    }

    public LinkState.Ipv4Address gatewayAddress() {
        return new LinkState.Ipv4Address(subnet.gateway(), subnet.prefix());
    }

    public String mac() {
        return NetCommands.bridgeMac(subnet);
    }
}
