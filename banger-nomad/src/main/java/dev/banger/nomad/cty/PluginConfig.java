package dev.banger.nomad.cty;

import static dev.banger.nomad.cty.ConfigSpec.optional;

import java.nio.charset.StandardCharsets;

/**
 * The plugin's own config, from the Nomad client's {@code plugin "banger" { config { ... } }} block:
 * <pre>
 * plugin "banger" {
 *   config {
 *     socket = "/run/banger/bangerd.sock"
 *   }
 * }
 * </pre>
 *
 * The driver finds bangerd by this socket only; left out, it is the one the CLI would use in the plugin's own
 * environment ({@code BANGER_HOME/run/bangerd.sock}, else {@code /run/banger/bangerd.sock}).
 *
 * @param socket the path of bangerd's socket, or null for the default
 */
public record PluginConfig(String socket) {
    /** sun_path holds 108 bytes including the terminating NUL (as banger-core's StatePaths says). */
    public static final int MAX_SOCKET_PATH_BYTES = 107;
    /** The name bangerd gives its socket in its run directory (banger-core's StatePaths). */
    public static final String SOCKET_NAME = "bangerd.sock";
    /** Every attribute left out: the bangerd of the plugin's environment (BANGER_HOME, else the system one). */
    public static final PluginConfig DEFAULTS = new PluginConfig(null);

    public static final ConfigSpec SPEC = ConfigSpec.of(optional("socket", CtyType.STRING));

    /**
     * The plugin config from SetConfig's msgpack. Nomad may call SetConfig with no plugin config at all (empty
     * bytes): every attribute then takes its default.
     */
    public static PluginConfig decode(byte[] msgpack) {
        if (msgpack.length == 0) {
            return new PluginConfig(null);
        }
        ConfigValues v = new ConfigValues(SPEC.decode(msgpack, "plugin config"), "plugin config: ");
        String socket = v.string("socket", 4096);
        if (socket != null) {
            if (!socket.startsWith("/")) {
                throw new ConfigException("plugin config: socket must be the absolute path of bangerd's socket "
                        + "(such as /run/banger/bangerd.sock), not " + CtyMsgpack.quote(socket));
            }
            if (socket.getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
                throw new ConfigException("plugin config: socket is longer than the " + MAX_SOCKET_PATH_BYTES
                        + " bytes a Unix socket path may have: " + CtyMsgpack.quote(socket));
            }
            if (!socket.endsWith("/" + SOCKET_NAME)) {
                // bangerd binds RUN_DIR/bangerd.sock and nothing else; the client derives its run directory from it
                throw new ConfigException("plugin config: socket must be a bangerd socket, RUN_DIR/" + SOCKET_NAME
                        + " (such as /run/banger/bangerd.sock), not " + CtyMsgpack.quote(socket));
            }
        }
        return new PluginConfig(socket);
    }
}
