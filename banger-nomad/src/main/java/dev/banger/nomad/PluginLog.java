package dev.banger.nomad;

import java.io.PrintStream;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * The plugin's log: one line a message on stderr, which go-plugin's host reads and logs in its own log. Lines that
 * start with {@code [INFO]}, {@code [WARN]}, {@code [ERROR]} or {@code [DEBUG]} keep their level there (go-plugin
 * infers it from the prefix); anything else is logged at debug. gRPC and Netty log through java.util.logging, which
 * is routed here too so their messages keep to one line. stdout is never written but for the handshake line.
 */
final class PluginLog {
    private static final PrintStream ERR = System.err;

    private PluginLog() {
    }

    static void info(String message) {
        write("[INFO] ", message);
    }

    static void warn(String message) {
        write("[WARN] ", message);
    }

    static void error(String message) {
        write("[ERROR]", message);
    }

    private static void write(String prefix, String message) {
        // one line: a newline in a message would start a line the host logs at debug, without its level
        ERR.println(prefix + " banger-nomad: " + message.replace('\n', ' '));
    }

    /** Sends java.util.logging (gRPC's and Netty's) to stderr as one-line messages, warnings and worse only. */
    static void routeJavaLogging() {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(Level.WARNING);
        Handler h = new StreamHandler(ERR, new Formatter() {
            @Override
            public String format(LogRecord r) {
                String prefix = r.getLevel().intValue() >= Level.SEVERE.intValue() ? "[ERROR]" : "[WARN] ";
                Throwable t = r.getThrown();
                String msg = formatMessage(r) + (t == null ? "" : ": " + t);
                return prefix + " " + r.getLoggerName() + ": " + msg.replace('\n', ' ') + System.lineSeparator();
            }
        }) {
            @Override
            public synchronized void publish(LogRecord r) {
                super.publish(r);
                flush();
            }
        };
        h.setLevel(Level.WARNING);
        root.addHandler(h);
    }
}
