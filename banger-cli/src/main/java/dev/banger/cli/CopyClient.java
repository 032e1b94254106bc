package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ClientJson;
import dev.banger.api.ErrorCode;
import dev.banger.channel.copy.CopyRefusal;
import dev.banger.channel.copy.CopySummary;
import dev.banger.channel.copy.CopyTarget;
import dev.banger.channel.copy.Extractor;
import dev.banger.channel.copy.PeerFailure;
import dev.banger.channel.copy.SourceTree;
import dev.banger.channel.copy.TarReader;
import dev.banger.channel.copy.TarWriter;
import dev.banger.core.Text;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The CLI's end of a copy (docs/API.md, "vm.cp"), over the connection bangerd hands over: the host's
 * files read and written here, as the user who runs banger, never by the root daemon. Into a VM: wait for the
 * agent's word that the destination is usable, send the archive ({@link SourceTree}), read the agent's last
 * line. Out of a VM: read the agent's first line, then extract what it sends ({@link Extractor}: the guest is
 * not trusted; nothing is written outside the destination or through a link, every file is checked against
 * its CRC-32C before it takes its name, setuid and setgid bits are dropped). Everything the guest says is
 * bounded and made printable.
 */
final class CopyClient {
    /** A status line longer than this is not the agent's. */
    static final int MAX_LINE = 64 * 1024;
    private static final int BUFFER = 256 * 1024;

    private final String vm;

    CopyClient(String vm) {
        this.vm = vm;
    }

    /** Sends {@code source}; returns what the agent wrote. */
    CopySummary copyIn(InputStream fromAgent, OutputStream toAgent, SourceTree source) {
        InputStream in = new BufferedInputStream(fromAgent, MAX_LINE);
        status(in);
        TarWriter archive = new TarWriter(new BufferedOutputStream(toAgent, BUFFER));
        CopyRefusal localFailure = null;
        IOException lost = null;
        try {
            source.send(archive);
        } catch (CopyRefusal e) {
            localFailure = e;
            try {
                archive.abort(e.getMessage());
            } catch (IOException alsoLost) {
                // the agent has stopped reading: its own reason follows
            }
        } catch (IOException e) {
            lost = e; // the agent stopped the copy (its reason is in its last line) or the connection went
        }
        if (localFailure != null) {
            try {
                line(in); // the agent's echo of our reason: ours says more
            } catch (BangerException ignored) {
                // the connection went first
            }
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, localFailure.getMessage() + "; nothing more was copied into VM " + vm);
        }
        Map<?, ?> r = result(lastLine(in, lost));
        return new CopySummary(count(r, "files"), count(r, "directories"), count(r, "symlinks"), count(r, "bytes"));
    }

    /** Receives the agent's archive into {@code target}. */
    CopySummary copyOut(InputStream fromAgent, CopyTarget target) {
        InputStream in = new BufferedInputStream(fromAgent, BUFFER);
        status(in);
        Extractor extractor = new Extractor(target, Extractor.PERMISSION_BITS);
        // Ctrl-C ends the JVM without unwinding this thread: the file being written must not stay behind.
        Thread cleanUp = new Thread(extractor::abandon, "copy-clean-up");
        Runtime.getRuntime().addShutdownHook(cleanUp);
        try {
            return extractor.extract(new TarReader(in));
        } catch (PeerFailure e) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "VM " + vm + ": " + e.getMessage());
        } catch (CopyRefusal e) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "copying from VM " + vm + ": " + e.getMessage());
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "copying from VM " + vm + ": " + e.getMessage());
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(cleanUp);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs
            }
        }
    }

    /** The agent's first line: the copy can start, or why not. */
    private void status(InputStream in) {
        result(line(in));
    }

    /** A count in the agent's summary; 0 where it gave none (the summary is only reported, never trusted). */
    private static long count(Map<?, ?> result, String field) {
        return result.get(field) instanceof Number n ? n.longValue() : 0;
    }

    /** The agent's last line; a connection that ended without one is a lost copy. */
    private Map<String, Object> lastLine(InputStream in, IOException lost) {
        try {
            return line(in);
        } catch (BangerException e) {
            if (lost != null && e.code() == ErrorCode.AGENT_UNAVAILABLE) {
                throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "lost the copy into VM " + vm + ": " + Text.printable(lost.getMessage(), 200)
                        + " (the VM stopped, or bangerd or its agent restarted)");
            }
            throw e;
        }
    }

    /** An {@code {"ok": ...}} line's result, or the agent's error as the failure. */
    private Map<?, ?> result(Map<String, Object> line) {
        if (!(line.get("ok") instanceof Boolean ok)) {
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the agent of VM " + vm + " sent something that is not a copy's status");
        }
        if (!ok) {
            String reason = line.get("error") instanceof String error ? error : "no reason given";
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "VM " + vm + ": " + Text.printable(reason, 1000));
        }
        return line.get("result") instanceof Map<?, ?> result ? result : Map.of();
    }

    /** One JSON line, at most {@link #MAX_LINE} bytes. */
    private Map<String, Object> line(InputStream in) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the copy with VM " + vm + " ended before its agent answered"
                            + " (the VM stopped, or bangerd or its agent restarted)");
                }
                if (line.size() >= MAX_LINE) {
                    throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the agent of VM " + vm + " sent a status line over "
                            + MAX_LINE + " bytes: refused");
                }
                line.write(c);
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "lost the copy with VM " + vm + ": " + Text.printable(e.getMessage(), 200));
        }
        try {
            return ClientJson.object(line.toString(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException notAnObject) {
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the agent of VM " + vm + " sent something that is not a copy's status");
        }
    }
}
