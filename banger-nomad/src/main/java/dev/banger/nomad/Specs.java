package dev.banger.nomad;

import dev.banger.nomad.cty.ConfigSpec;
import hashicorp.nomad.plugins.shared.hclspec.HclSpec.Attr;
import hashicorp.nomad.plugins.shared.hclspec.HclSpec.Object;
import hashicorp.nomad.plugins.shared.hclspec.HclSpec.Spec;

/**
 * Builders for Nomad's hclspec, the schema a plugin hands Nomad for its plugin and task configs. Nomad decodes the
 * HCL with it, checks types, and sends the plugin the result as a msgpack-encoded cty value of that shape. Types are
 * cty type expressions: {@code string}, {@code number}, {@code bool}, {@code list(string)} and so on.
 */
final class Specs {
    private Specs() {
    }

    /** An attribute whose name is its key in the enclosing object, as Nomad's own drivers write them. */
    static Spec attr(String name, String type, boolean required) {
        return Spec.newBuilder().setAttr(Attr.newBuilder().setName(name).setType(type).setRequired(required)).build();
    }

    /** An object of attributes, each keyed by its own name. */
    static Spec object(Spec... attrs) {
        Object.Builder o = Object.newBuilder();
        for (Spec a : attrs) {
            o.putAttributes(a.getAttr().getName(), a);
        }
        return Spec.newBuilder().setObject(o).build();
    }

    /**
     * The hclspec of a config declared with {@link ConfigSpec}: the same attributes the decoder reads with, so what
     * Nomad encodes and what the plugin decodes cannot drift apart.
     */
    static Spec of(ConfigSpec spec) {
        return object(spec.attrs().stream()
                .map(a -> attr(a.name(), a.typeExpression(), a.required()))
                .toArray(Spec[]::new));
    }
}
