package dev.banger.nomad;

import dev.banger.core.StatePaths;
import hashicorp.nomad.plugins.shared.hclspec.HclSpec.Spec;
import java.nio.file.Path;
import java.util.Map;

/**
 * The plugin's own configuration, from the {@code plugin "banger" { config { ... } }} block of Nomad's client:
 * where this node's bangerd listens.
 *
 * <ul>
 *   <li>{@code socket}: bangerd's RPC socket. Optional.</li>
 *   <li>{@code banger_home}: the BANGER_HOME of the bangerd to use; its socket is {@code banger_home/run/bangerd.sock}.
 *   Optional; ignored when {@code socket} is given.</li>
 * </ul>
 * Neither given: the system bangerd's socket, /run/banger/bangerd.sock, which the CLI also uses by default.
 *
 * @param socket the socket given in the config, or null
 * @param bangerHome the BANGER_HOME given in the config, or null
 */
record PluginConfig(String socket, String bangerHome) {
    static final PluginConfig DEFAULTS = new PluginConfig(null, null);

    static final Spec SCHEMA = Specs.object(
            Specs.attr("socket", "string", false),
            Specs.attr("banger_home", "string", false));

    /** bangerd's socket for this config. */
    Path daemonSocket() {
        if (socket != null && !socket.isBlank()) {
            return Path.of(socket);
        }
        if (bangerHome != null && !bangerHome.isBlank()) {
            return StatePaths.forHome(Path.of(bangerHome)).socket();
        }
        return StatePaths.fromEnvironment(Map.of()).socket();
    }

    /**
     * The config Nomad sent in SetConfig: a cty value of {@link #SCHEMA}'s shape, msgpack-encoded. This build reads
     * only the empty config (all defaults); a config with values needs the cty decoder (package
     * {@code dev.banger.nomad.cty}), and is refused, saying so, rather than half-read.
     *
     * @throws IllegalArgumentException with a message for Nomad's log
     */
    static PluginConfig fromMsgpack(byte[] msgpack) {
        if (msgpack == null || msgpack.length == 0) {
            return DEFAULTS;
        }
        throw new IllegalArgumentException("this build of banger-nomad cannot decode a plugin config yet (" + msgpack.length
                + " bytes of msgpack received): it lacks the cty decoder; use a build that has it");
    }
}
