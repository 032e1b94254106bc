package dev.banger.core.net;

import dev.banger.core.Ipv4Subnet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies the commands of {@link NetCommands} to a {@link LinkState} the way the kernel would, so tests can
 * check that a plan, once carried out, leaves nothing more to do. Strict: a command it does not know, or one
 * the kernel would refuse (adding what exists, deleting what does not), fails the test.
 */
final class FakeKernel {
    private FakeKernel() {
    }

    static LinkState apply(LinkState state, List<List<String>> steps) {
        LinkState s = state;
        for (List<String> step : steps) {
            s = applyOne(s, step);
        }
        return s;
    }

    static LinkState applyOne(LinkState state, List<String> argv) {
        Map<String, LinkState.Link> links = new LinkedHashMap<>(state.links());
        String cmd = String.join(" ", argv);
        if (cmd.matches("ip link add name \\S+ address \\S+ type bridge")) {
            String name = argv.get(4);
            require(!links.containsKey(name), cmd + ": File exists");
            links.put(name, new LinkState.Link(name, "bridge", null, null, false, argv.get(6), List.of()));
        } else if (cmd.matches("ip link set dev \\S+ address \\S+")) {
            LinkState.Link l = get(links, argv.get(4), cmd);
            links.put(l.name(), new LinkState.Link(l.name(), l.kind(), l.tunType(), l.master(), l.adminUp(), argv.get(6), l.ipv4()));
        } else if (cmd.matches("ip addr add \\S+ brd \\+ dev \\S+")) {
            LinkState.Link l = get(links, argv.get(7), cmd);
            LinkState.Ipv4Address a = address(argv.get(3));
            require(!l.ipv4().contains(a), cmd + ": File exists");
            List<LinkState.Ipv4Address> ipv4 = new ArrayList<>(l.ipv4());
            ipv4.add(a);
            links.put(l.name(), new LinkState.Link(l.name(), l.kind(), l.tunType(), l.master(), l.adminUp(), l.mac(), ipv4));
        } else if (cmd.matches("ip addr del \\S+ dev \\S+")) {
            LinkState.Link l = get(links, argv.get(5), cmd);
            List<LinkState.Ipv4Address> ipv4 = new ArrayList<>(l.ipv4());
            require(ipv4.remove(address(argv.get(3))), cmd + ": Cannot assign requested address");
            links.put(l.name(), new LinkState.Link(l.name(), l.kind(), l.tunType(), l.master(), l.adminUp(), l.mac(), ipv4));
        } else if (cmd.matches("ip link set dev \\S+ up")) {
            LinkState.Link l = get(links, argv.get(4), cmd);
            links.put(l.name(), new LinkState.Link(l.name(), l.kind(), l.tunType(), l.master(), true, l.mac(), l.ipv4()));
        } else if (cmd.matches("ip tuntap add dev \\S+ mode tap")) {
            String name = argv.get(4);
            require(!links.containsKey(name), cmd + ": Device or resource busy");
            links.put(name, new LinkState.Link(name, "tun", "tap", null, false, "0e:00:00:00:00:01", List.of()));
        } else if (cmd.matches("ip link set dev \\S+ master \\S+ up")) {
            LinkState.Link l = get(links, argv.get(4), cmd);
            require(get(links, argv.get(6), cmd).isBridge(), cmd + ": not a bridge");
            links.put(l.name(), new LinkState.Link(l.name(), l.kind(), l.tunType(), argv.get(6), true, l.mac(), l.ipv4()));
        } else if (cmd.matches("ip link del dev \\S+")) {
            LinkState.Link gone = get(links, argv.get(4), cmd);
            links.remove(gone.name());
            links.replaceAll((n, l) -> gone.name().equals(l.master())
                    ? new LinkState.Link(l.name(), l.kind(), l.tunType(), null, l.adminUp(), l.mac(), l.ipv4()) : l);
        } else {
            throw new AssertionError("FakeKernel does not know: " + cmd);
        }
        return new LinkState(links);
    }

    private static LinkState.Ipv4Address address(String cidr) {
        String[] parts = cidr.split("/");
        return new LinkState.Ipv4Address(Ipv4Subnet.parseAddress(parts[0]), Integer.parseInt(parts[1]));
    }

    private static LinkState.Link get(Map<String, LinkState.Link> links, String name, String cmd) {
        LinkState.Link l = links.get(name);
        require(l != null, cmd + ": Cannot find device \"" + name + "\"");
        return l;
    }

    private static void require(boolean ok, String error) {
        if (!ok) {
            throw new AssertionError("the kernel would refuse " + error);
        }
    }
}
