package dev.banger.api;

import java.util.Objects;

/**
 * One RPC method: its name on the wire, the record its parameters decode to ({@link Void} for a method
 * that takes none) and the type of its result. The daemon binds a handler to a descriptor and the CLI
 * calls one, so neither side can pair a method with the wrong types. All of them: {@link Rpcs}.
 */
public record Rpc<P, R>(String name, Class<P> paramsType, Class<R> resultType) {
    public Rpc {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(paramsType, "paramsType");
        Objects.requireNonNull(resultType, "resultType");
    }

    /** Whether the method takes parameters (a {@link Void} method takes none: "params" absent, null or {}). */
    public boolean takesParams() {
        return paramsType != Void.class;
    }

    @Override
    public String toString() {
        return name;
    }
}
