package dev.banger.nomad.cty;

/**
 * A config from Nomad that cannot be used: bytes that are no cty value of the expected type, or a value the driver
 * refuses. The message names the attribute and, where a person can act, what to change in the job file.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
