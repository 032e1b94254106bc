package dev.banger.core.net;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.Ipv4Subnet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The host's links as {@code ip -j -d addr show} reports them ({@link NetCommands#observe()}): the input of
 * every plan in this package. Parsing is lenient about fields banger does not use and strict about the
 * shape it does, so a newer iproute2 that adds fields changes nothing.
 */
public record LinkState(Map<String, Link> links) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One link. {@code kind} is linkinfo.info_kind ("bridge", "tun", "veth"...; null for a plain device).
     * {@code noCarrier}: the link is up but reports NO-CARRIER; for a tap that means no process has it
     * open (a VMM holding a tap gives it a carrier).
     */
    public record Link(String name, String kind, String tunType, String master, boolean adminUp, String mac,
                       List<Ipv4Address> ipv4, boolean noCarrier) {
        public Link {
            ipv4 = List.copyOf(ipv4);
        }

        public Link(String name, String kind, String tunType, String master, boolean adminUp, String mac, List<Ipv4Address> ipv4) {
            this(name, kind, tunType, master, adminUp, mac, ipv4, false);
        }

        public boolean isBridge() {
            return "bridge".equals(kind);
        }

        /** A tun device in tap mode (layer 2), what a VMM's virtio-net wants. */
        public boolean isTap() {
            return "tun".equals(kind) && "tap".equals(tunType);
        }

        /** What the link is, for messages: "a bridge", "a tap", "a veth device", "a device". */
        public String describe() {
            if (isBridge()) {
                return "a bridge";
            }
            if (isTap()) {
                return "a tap";
            }
            return kind == null ? "a network device" : "a " + kind + " device";
        }
    }

    public record Ipv4Address(int address, int prefix) {
        @Override
        public String toString() {
            return Ipv4Subnet.format(address) + "/" + prefix;
        }
    }

    public LinkState {
        links = Map.copyOf(links);
    }

    public static LinkState empty() {
        return new LinkState(Map.of());
    }

    public Optional<Link> link(String name) {
        return Optional.ofNullable(links.get(name));
    }

    /** The links whose master is {@code bridge}, in name order. */
    public List<Link> portsOf(String bridge) {
        return links.values().stream().filter(l -> bridge.equals(l.master()))
                .sorted(java.util.Comparator.comparing(Link::name)).toList();
    }

    /** The taps whose names start with {@code prefix}, in name order. */
    public List<String> tapNames(String prefix) {
        return links.values().stream().filter(l -> l.isTap() && l.name().startsWith(prefix))
                .map(Link::name).sorted().toList();
    }

    /**
     * The taps named with {@code prefix} that provably nobody holds: up, yet without a carrier. A tap that
     * is down tells nothing either way and is not listed.
     */
    public List<String> idleTapNames(String prefix) {
        return links.values().stream().filter(l -> l.isTap() && l.name().startsWith(prefix) && l.adminUp() && l.noCarrier())
                .map(Link::name).sorted().toList();
    }

    /** Parses the JSON array of {@code ip -j -d addr show} (or {@code ip -j -d link show}: no addresses then). */
    public static LinkState parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json == null ? "" : json);
        } catch (JsonProcessingException e) {
            throw unexpected("is not JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || root.isMissingNode()) {
            return empty(); // no output: a namespace without links has at least lo, but be lenient
        }
        if (!root.isArray()) {
            throw unexpected("is not a JSON array");
        }
        Map<String, Link> links = new LinkedHashMap<>();
        for (JsonNode n : root) {
            Link link = link(n);
            links.put(link.name(), link);
        }
        return new LinkState(links);
    }

    private static Link link(JsonNode n) {
        String name = text(n, "ifname");
        if (name == null || name.isEmpty()) {
            throw unexpected("has a link without \"ifname\"");
        }
        boolean up = false;
        boolean noCarrier = false;
        for (JsonNode f : n.path("flags")) {
            up |= "UP".equals(f.asText());
            noCarrier |= "NO-CARRIER".equals(f.asText());
        }
        JsonNode info = n.path("linkinfo");
        String kind = text(info, "info_kind");
        String tunType = text(info.path("info_data"), "type");
        List<Ipv4Address> ipv4 = new ArrayList<>();
        for (JsonNode a : n.path("addr_info")) {
            if ("inet".equals(text(a, "family")) && text(a, "local") != null && a.path("prefixlen").isInt()) {
                int prefix = a.path("prefixlen").asInt();
                if (prefix < 0 || prefix > 32) {
                    throw unexpected("gives " + name + " an IPv4 prefix of " + prefix);
                }
                try {
                    ipv4.add(new Ipv4Address(Ipv4Subnet.parseAddress(text(a, "local")), prefix));
                } catch (BangerException e) {
                    throw unexpected("gives " + name + " the address '" + text(a, "local") + "'");
                }
            }
        }
        String mac = text(n, "address");
        return new Link(name, kind, tunType, text(n, "master"), up, mac == null ? null : mac.toLowerCase(Locale.ROOT), ipv4,
                noCarrier);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || !v.isTextual() ? null : v.asText();
    }

    private static BangerException unexpected(String what) {
        return new BangerException(ErrorCode.HOST_FAILURE, "the output of 'ip -j -d addr show' " + what
                + ": is iproute2 older than 4.14 (no JSON)? banger needs a current iproute2");
    }
}
