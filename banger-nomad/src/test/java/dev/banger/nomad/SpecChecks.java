package dev.banger.nomad;

import hashicorp.nomad.plugins.shared.hclspec.HclSpec.Spec;
import java.util.Map;

/**
 * The harness's check of an hclspec a plugin returns: a schema Nomad can convert (hclspecutils) without error.
 * Every spec sets its one-of; every attribute and block is named (as its key, inside an object); every type is a cty
 * type expression; defaults and literals are complete.
 */
final class SpecChecks {
    private SpecChecks() {
    }

    /** @throws AssertionError naming the path of the first fault */
    static void check(Spec spec) {
        check(spec, "spec", null);
    }

    private static void check(Spec spec, String path, String key) {
        switch (spec.getBlockCase()) {
            case BLOCK_NOT_SET -> throw new AssertionError(path + ": no spec type set");
            case OBJECT -> {
                Map<String, Spec> attrs = spec.getObject().getAttributesMap();
                if (attrs.isEmpty()) {
                    throw new AssertionError(path + ": an object with no attributes");
                }
                attrs.forEach((k, v) -> {
                    if (k.isEmpty()) {
                        throw new AssertionError(path + ": an attribute with an empty key");
                    }
                    check(v, path + "." + k, k);
                });
            }
            case ARRAY -> {
                for (int n = 0; n < spec.getArray().getValuesCount(); n++) {
                    check(spec.getArray().getValues(n), path + "[" + n + "]", null);
                }
            }
            case ATTR -> {
                name(spec.getAttr().getName(), path, key);
                type(spec.getAttr().getType(), path);
            }
            case BLOCK_VALUE -> {
                name(spec.getBlockValue().getName(), path, key);
                nested(spec.getBlockValue().hasNested(), path);
                check(spec.getBlockValue().getNested(), path + "{}", null);
            }
            case BLOCK_ATTRS -> {
                name(spec.getBlockAttrs().getName(), path, key);
                type(spec.getBlockAttrs().getType(), path);
            }
            case BLOCK_LIST -> {
                name(spec.getBlockList().getName(), path, key);
                nested(spec.getBlockList().hasNested(), path);
                check(spec.getBlockList().getNested(), path + "[]", null);
            }
            case BLOCK_SET -> {
                name(spec.getBlockSet().getName(), path, key);
                nested(spec.getBlockSet().hasNested(), path);
                check(spec.getBlockSet().getNested(), path + "[]", null);
            }
            case BLOCK_MAP -> {
                name(spec.getBlockMap().getName(), path, key);
                if (spec.getBlockMap().getLabelsCount() == 0) {
                    throw new AssertionError(path + ": a block map with no labels");
                }
                nested(spec.getBlockMap().hasNested(), path);
                check(spec.getBlockMap().getNested(), path + "{}", null);
            }
            case DEFAULT -> {
                if (!spec.getDefault().hasPrimary() || !spec.getDefault().hasDefault()) {
                    throw new AssertionError(path + ": a default needs both its primary and its default spec");
                }
                check(spec.getDefault().getPrimary(), path, key);
                check(spec.getDefault().getDefault(), path + "(default)", null);
            }
            case LITERAL -> {
                if (spec.getLiteral().getValue().isEmpty()) {
                    throw new AssertionError(path + ": an empty literal (an HCL expression is needed)");
                }
            }
        }
    }

    private static void name(String name, String path, String key) {
        if (name.isEmpty()) {
            throw new AssertionError(path + ": no name");
        }
        if (key != null && !key.equals(name)) {
            throw new AssertionError(path + ": named '" + name + "' under key '" + key + "'");
        }
    }

    private static void nested(boolean present, String path) {
        if (!present) {
            throw new AssertionError(path + ": a block with no nested spec");
        }
    }

    private static void type(String type, String path) {
        try {
            CtyTypes.check(type);
        } catch (IllegalArgumentException e) {
            throw new AssertionError(path + ": " + e.getMessage(), e);
        }
    }
}
