package dev.banger.nomad.cty;

import java.util.Objects;

/**
 * A value read where the type said {@code any} (cty's DynamicPseudoType): go-cty writes such a value with its
 * own type, so the type is kept beside the decoded value.
 */
public record CtyDynamic(CtyType type, Object value) {
    public CtyDynamic {
        Objects.requireNonNull(type);
    }
}
