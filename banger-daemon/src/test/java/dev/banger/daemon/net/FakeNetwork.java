package dev.banger.daemon.net;

import dev.banger.core.Ipv4Subnet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/** The host network as a set of tap names: what the lifecycle creates and deletes, held or idle as the test says. */
public final class FakeNetwork implements GuestNetwork {
    private final Set<String> taps = Collections.synchronizedSet(new TreeSet<>());
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final Predicate<String> held;
    private final Ipv4Subnet subnet = Ipv4Subnet.parse("172.29.0.0/24");

    /** @param held whether a tap is held open by a process (a fake VMM of its VM) */
    public FakeNetwork(Predicate<String> held) {
        this.held = held;
    }

    public Set<String> tapSet() {
        synchronized (taps) {
            return Set.copyOf(taps);
        }
    }

    public List<String> log() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    @Override
    public String bridge() {
        return "fakebr0";
    }

    @Override
    public Ipv4Subnet subnet() {
        return subnet;
    }

    @Override
    public String gateway() {
        return Ipv4Subnet.format(subnet.gateway());
    }

    @Override
    public void ensure() {
        log.add("ensure");
    }

    @Override
    public void createTap(String tap, String guestIp) {
        log.add("create " + tap);
        taps.add(tap);
    }

    @Override
    public void createIsolatedTap(String tap) {
        log.add("create isolated " + tap);
        taps.add(tap);
    }

    @Override
    public void deleteTap(String tap) {
        log.add("delete " + tap);
        taps.remove(tap);
    }

    @Override
    public List<String> taps() {
        return List.copyOf(tapSet());
    }

    @Override
    public List<String> idleTaps() {
        return tapSet().stream().filter(held.negate()).toList();
    }
}
