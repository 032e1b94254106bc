package dev.banger.agent;

import java.io.IOException;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@code identity} op: a guest restored from another VM's memory image (a snapshot's or a fork's child)
 * still has that VM's kernel state: the same RNG state as its siblings, the clock of the moment the image was
 * saved, the parent's MAC, address, hostname, machine id and sshd host key. The host, having attached the
 * child's own config drive, asks the agent over its channel (no guest network needed) to make the guest the
 * child, in this order:
 * <ol>
 *   <li>mix the host's random bytes into the kernel's pool and force a reseed of its CRNG, so that
 *       nothing random made from here on (the machine id below, sshd's state) is the parent's or a sibling's
 *       ({@code RNDADDENTROPY}, then {@code RNDRESEEDCRNG}; a kernel without the latter, before 4.17, or
 *       whose CRNG is not initialised yet, is reported, not fatal);</li>
 *   <li>set {@code CLOCK_REALTIME} to the host's time (the time the host sent; the transit is not added);</li>
 *   <li>run {@code /usr/lib/banger/reidentify} (fixed argv; at most {@link #SCRIPT_TIMEOUT_MILLIS}, the last
 *       {@link #LOG_BYTES} bytes of its output kept), which re-reads the config drive, re-addresses the NIC
 *       and runs apply-config (images/README.md).</li>
 * </ol>
 * Request: {@code {"op": "identity", "entropy": BASE64 of 32 to 512 bytes, "time_ns": host CLOCK_REALTIME in
 * ns since the epoch, > 0}}. Answer: {@code {"reseeded": bool, "clock_corrected_ms": N, "status": N, "log":
 * "..."}}, whatever the script's status (the host decides); a bad request, or a failure of the first two
 * steps, is an error and stops there. The steps' side effects are behind {@link Steps}, so that tests replace
 * them: the real ones ({@link IdentitySteps}) would reseed and set the clock of the machine running the test.
 */
final class Identity {
    static final int MIN_ENTROPY_BYTES = 32;
    static final int MAX_ENTROPY_BYTES = 512;
    /** The longest base64 text of {@link #MAX_ENTROPY_BYTES} (with padding): checked before decoding. */
    static final int MAX_ENTROPY_TEXT = (MAX_ENTROPY_BYTES + 2) / 3 * 4;
    static final long SCRIPT_TIMEOUT_MILLIS = 60_000;
    static final int LOG_BYTES = 4096;

    /** What the op does to the guest, one method a step. */
    interface Steps {
        /**
         * Adds {@code entropy} to the kernel's pool (credited at 8 bits a byte) and forces a reseed of its CRNG;
         * false when this kernel cannot reseed on demand (the bytes are in the pool all the same).
         */
        boolean reseed(byte[] entropy) throws IOException;

        /** Sets CLOCK_REALTIME to {@code epochNanos}; answers the correction, in ns: the new time less the clock before. */
        long setClock(long epochNanos) throws IOException;

        /** Runs the reidentify script, bounded; its exit status (128+N for signal N) and the tail of its output. */
        Ran reidentify() throws IOException;
    }

    /** How the script ended: its status as a shell reports it, and the last of its output (stdout and stderr). */
    record Ran(int status, String log) {
    }

    /** A valid request's values. */
    record Asked(byte[] entropy, long timeNanos) {
        /** The request's values, checked; an IllegalArgumentException (its text for the host) when one is not valid. */
        static Asked of(Request request) {
            long time = request.number("time_ns", 0, 1, Long.MAX_VALUE);
            if (time == 0) {
                throw new IllegalArgumentException("'time_ns' is required: the host's CLOCK_REALTIME in ns since the epoch");
            }
            String text = request.string("entropy", null);
            if (text == null) {
                throw new IllegalArgumentException("'entropy' is required: " + MIN_ENTROPY_BYTES + " to " + MAX_ENTROPY_BYTES
                        + " random bytes in base64");
            }
            if (text.length() > MAX_ENTROPY_TEXT) {
                throw new IllegalArgumentException("'entropy' must be " + MIN_ENTROPY_BYTES + " to " + MAX_ENTROPY_BYTES
                        + " bytes in base64 (at most " + MAX_ENTROPY_TEXT + " characters), not " + text.length() + " characters");
            }
            byte[] entropy;
            try {
                entropy = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'entropy' is not base64: " + e.getMessage());
            }
            if (entropy.length < MIN_ENTROPY_BYTES || entropy.length > MAX_ENTROPY_BYTES) { // 513 bytes fit 684 characters too
                Arrays.fill(entropy, (byte) 0);
                throw new IllegalArgumentException("'entropy' must be " + MIN_ENTROPY_BYTES + " to " + MAX_ENTROPY_BYTES
                        + " bytes, not " + entropy.length);
            }
            return new Asked(entropy, time);
        }
    }

    /** One re-identification at a time: two would interleave their changes to the NIC. */
    private static final ReentrantLock ONE_AT_A_TIME = new ReentrantLock();

    private Identity() {
    }

    /**
     * The answer to {@code request}: checked first (nothing is done for a bad one), then the three steps in
     * order. A failure of the first two steps is an error that says what was done; the script's status is the
     * host's to judge.
     */
    static Map<String, Object> answer(Request request, Steps steps) {
        Asked asked;
        try {
            asked = Asked.of(request);
        } catch (IllegalArgumentException e) {
            return Service.error(e.getMessage());
        }
        ONE_AT_A_TIME.lock();
        try {
            boolean reseeded;
            try {
                reseeded = steps.reseed(asked.entropy());
            } catch (IOException | RuntimeException e) {
                return Service.error("cannot add the host's entropy to the kernel's pool (" + e.getMessage()
                        + "): nothing else done (clock, reidentify)");
            } finally {
                Arrays.fill(asked.entropy(), (byte) 0);
            }
            long correction;
            try {
                correction = steps.setClock(asked.timeNanos());
            } catch (IOException | RuntimeException e) {
                return Service.error("cannot set the clock (" + e.getMessage() + "); the entropy was added, reseeded: "
                        + reseeded + "; reidentify not run");
            }
            Ran ran;
            try {
                ran = steps.reidentify();
            } catch (IOException | RuntimeException e) {
                return Service.error("cannot run reidentify (" + e.getMessage() + "); the entropy was added, reseeded: "
                        + reseeded + "; the clock was corrected by " + correction / 1_000_000 + " ms");
            }
            System.err.println("banger-agent: identity: reseeded " + reseeded + ", clock corrected by " + correction / 1_000_000
                    + " ms, reidentify exited " + ran.status());
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("reseeded", reseeded);
            result.put("clock_corrected_ms", correction / 1_000_000);
            result.put("status", ran.status());
            result.put("log", ran.log());
            return Service.ok(result);
        } finally {
            ONE_AT_A_TIME.unlock();
        }
    }
}
