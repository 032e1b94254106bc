package dev.banger.channel;

/**
 * The pure decision after a HELLO exchange: can the two sides talk, and with what limits? Each side
 * speaks a range of protocol versions; they use the newest both speak. When the ranges do not meet, the
 * message names the older side and the fix, from the point of view of the side that reads it (the
 * daemon's or the agent's log).
 */
public final class Handshake {
    /** The protocol version this code speaks. Raise it for an incompatible change of the wire format. */
    public static final int PROTOCOL = 1;
    /** The oldest protocol version this code still speaks. */
    public static final int OLDEST_PROTOCOL = 1;
    /** The smallest receive window a side may announce: below it a stream would crawl. */
    public static final int MIN_WINDOW = 4 * 1024;
    /** The largest receive window a side may announce. */
    public static final int MAX_WINDOW = 16 * 1024 * 1024;

    /** Which end of the channel: the host (the daemon, which says HELLO) or the guest (the agent, which answers). */
    public enum Side {
        HOST("bangerd", "the guest agent"),
        GUEST("this guest agent", "bangerd");

        private final String self;
        private final String peer;

        Side(String self, String peer) {
            this.self = self;
            this.peer = peer;
        }

        /** How messages name the other side. */
        public String peerName() {
            return peer;
        }

        String selfName() {
            return self;
        }
    }

    /** What the exchange decided. */
    public sealed interface Outcome permits Agreed, Incompatible {
    }

    /**
     * The two sides can talk.
     *
     * @param protocol the version both use
     * @param sendPayload the largest payload to send (the smaller of the two maximums)
     * @param sendWindow the credit each new stream starts with for sending (the peer's window)
     */
    public record Agreed(int protocol, int sendPayload, int sendWindow) implements Outcome {
    }

    /** The two sides cannot talk; {@code message} says why and what to do. */
    public record Incompatible(String message) implements Outcome {
    }

    private Handshake() {
    }

    /** Decides from this side's HELLO ({@code mine}) and the peer's ({@code theirs}). */
    public static Outcome decide(Side local, Hello mine, Hello theirs) {
        String peer = local.peerName() + " (" + theirs.software() + ")";
        if (theirs.oldestProtocol() < 1 || theirs.oldestProtocol() > theirs.newestProtocol()) {
            return new Incompatible(peer + " announced the protocol range " + theirs.oldestProtocol() + " to " + theirs.newestProtocol()
                    + ", which is not a range: it is broken or not a banger agent channel");
        }
        if (theirs.maxPayload() < Frames.MIN_PAYLOAD || theirs.maxPayload() > Frames.MAX_PAYLOAD) {
            return new Incompatible(peer + " announced a maximum payload of " + Integer.toUnsignedString(theirs.maxPayload())
                    + " bytes, outside " + Frames.MIN_PAYLOAD + ".." + Frames.MAX_PAYLOAD + ": it is broken or not a banger agent channel");
        }
        if (theirs.window() < MIN_WINDOW || theirs.window() > MAX_WINDOW) {
            return new Incompatible(peer + " announced a stream window of " + Integer.toUnsignedString(theirs.window())
                    + " bytes, outside " + MIN_WINDOW + ".." + MAX_WINDOW + ": it is broken or not a banger agent channel");
        }
        int common = Math.min(mine.newestProtocol(), theirs.newestProtocol());
        if (common < mine.oldestProtocol()) {
            return new Incompatible(peerTooOld(local, mine, theirs));
        }
        if (common < theirs.oldestProtocol()) {
            return new Incompatible(selfTooOld(local, mine, theirs));
        }
        return new Agreed(common, Math.min(mine.maxPayload(), theirs.maxPayload()), theirs.window());
    }

    private static String peerTooOld(Side local, Hello mine, Hello theirs) {
        String needs = ", but " + local.selfName() + " (" + mine.software() + ") needs protocol " + mine.oldestProtocol() + " or newer: ";
        return switch (local) {
            case HOST -> "the guest agent in this VM's image (" + theirs.software() + ") speaks channel protocol " + range(theirs) + needs
                    + "rebuild the image with this banger (banger image build) and create the VM again from it";
            case GUEST -> "bangerd (" + theirs.software() + ") speaks channel protocol " + range(theirs) + needs
                    + "upgrade banger on the host, or use an image built by the host's banger";
        };
    }

    private static String selfTooOld(Side local, Hello mine, Hello theirs) {
        String speaks = ", but " + local.selfName() + " (" + mine.software() + ") speaks at most protocol " + mine.newestProtocol() + ": ";
        return switch (local) {
            case HOST -> "the guest agent in this VM's image (" + theirs.software() + ") needs channel protocol " + theirs.oldestProtocol()
                    + " or newer" + speaks + "upgrade banger on this host, or use an image built by this banger (banger image build)";
            case GUEST -> "bangerd (" + theirs.software() + ") needs channel protocol " + theirs.oldestProtocol() + " or newer" + speaks
                    + "rebuild the image with the host's banger (banger image build)";
        };
    }

    private static String range(Hello h) {
        return h.oldestProtocol() == h.newestProtocol() ? Integer.toString(h.newestProtocol())
                : h.oldestProtocol() + " to " + h.newestProtocol();
    }
}
