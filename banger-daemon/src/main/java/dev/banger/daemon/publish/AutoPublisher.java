package dev.banger.daemon.publish;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Json;
import dev.banger.api.VmRecord;
import dev.banger.channel.Lines;
import dev.banger.channel.Stream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * {@code [network] auto_publish}: one {@code listeners} stream per running VM, on which the agent reports the guest's
 * TCP listening ports whenever they change; each report goes to {@link PublishService#listenersChanged}. Reconnects
 * while the VM runs (the agent may not be up yet, or the channel was renewed). The guest is not trusted: a report is
 * one line of at most {@link #MAX_LINE} bytes with at most {@link #MAX_PORTS} ports, each 1-65535, or it is ignored.
 */
final class AutoPublisher implements AutoCloseable {
    /**
     * Guest ports below this are left to {@code --publish} (Lima forwards all but SSH's): a guest's sshd, resolver or web
     * server on a well-known port would otherwise take that port on the host while the VM runs.
     */
    static final int LOWEST_PORT = 1024;
    static final int MAX_LINE = 64 * 1024;
    static final int MAX_PORTS = 256;
    private static final Duration RECONNECT = Duration.ofSeconds(2);
    private static final Logger LOG = Logger.getLogger(AutoPublisher.class.getName());

    private final VmRecord vm;
    private final GuestStreams guest;
    private final PublishService service;
    private volatile boolean closed;
    private volatile Stream stream;

    private AutoPublisher(VmRecord vm, GuestStreams guest, PublishService service) {
        this.vm = vm;
        this.guest = guest;
        this.service = service;
    }

    static AutoPublisher start(VmRecord vm, GuestStreams guest, PublishService service) {
        AutoPublisher a = new AutoPublisher(vm, guest, service);
        Thread.ofVirtual().name("auto-publish-" + vm.name()).start(a::run);
        return a;
    }

    private void run() {
        while (!closed) {
            try {
                Stream s = guest.open(vm, Map.of("op", "listeners"));
                stream = s;
                if (closed) {
                    s.close(0, "closed");
                    return;
                }
                InputStream in = s.input();
                String line;
                while ((line = Lines.readBounded(in, MAX_LINE)) != null) {
                    parse(line).ifPresent(ports -> service.listenersChanged(vm.id(), ports));
                }
            } catch (RuntimeException | IOException e) {
                LOG.fine("auto_publish for VM " + vm.name() + ": " + e.getMessage());
            }
            if (!closed) {
                service.listenersChanged(vm.id(), List.of()); // nothing is known to listen while the watch is down
                sleep();
            }
        }
    }

    /** The ports of one report, {@code {"tcp": [80, 8080]}}; empty for anything else. */
    static java.util.Optional<List<Integer>> parse(String line) {
        try {
            JsonNode tcp = Json.MAPPER.readTree(line).path("tcp");
            if (!tcp.isArray() || tcp.size() > MAX_PORTS) {
                return java.util.Optional.empty();
            }
            List<Integer> ports = new ArrayList<>();
            for (JsonNode p : tcp) {
                if (!p.isInt() || p.asInt() < 1 || p.asInt() > 65535) {
                    return java.util.Optional.empty();
                }
                ports.add(p.asInt());
            }
            return java.util.Optional.of(ports);
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    private void sleep() {
        try {
            Thread.sleep(RECONNECT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    @Override
    public void close() {
        closed = true;
        Stream s = stream;
        if (s != null) {
            s.close(0, "VM stopped");
        }
    }
}
