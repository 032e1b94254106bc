package dev.banger.api;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** banger's version, stamped into the api jar at build time. */
public final class BangerVersion {
    private static final String VERSION = load();

    private BangerVersion() {
    }

    public static String current() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = BangerVersion.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
