package dev.banger.nomad.cty;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A cty type (go-cty's type system, which Nomad uses for plugin configs): the shape that says how the msgpack
 * bytes of a config are to be read. Only the types a config can have; no capsule types.
 */
public sealed interface CtyType {

    CtyType STRING = new Primitive("string");
    CtyType NUMBER = new Primitive("number");
    CtyType BOOL = new Primitive("bool");
    /** cty's DynamicPseudoType, {@code any} in a type expression: the value carries its own type on the wire. */
    CtyType DYNAMIC = new Dynamic();

    /** string, number or bool. */
    record Primitive(String name) implements CtyType {
        public Primitive {
            if (!List.of("string", "number", "bool").contains(name)) {
                throw new IllegalArgumentException("no cty primitive type " + name);
            }
        }
    }

    record Dynamic() implements CtyType {}

    record ListOf(CtyType element) implements CtyType {
        public ListOf {
            Objects.requireNonNull(element);
        }
    }

    record SetOf(CtyType element) implements CtyType {
        public SetOf {
            Objects.requireNonNull(element);
        }
    }

    /** A map's keys are strings; its values all have the element type. */
    record MapOf(CtyType element) implements CtyType {
        public MapOf {
            Objects.requireNonNull(element);
        }
    }

    /** Attributes kept in the order go-cty writes them: by name, in code point (UTF-8 byte) order. */
    record ObjectOf(Map<String, CtyType> attributes) implements CtyType {
        public ObjectOf {
            TreeMap<String, CtyType> sorted = new TreeMap<>(CtyType::compareNames);
            attributes.forEach((name, type) -> sorted.put(Objects.requireNonNull(name), Objects.requireNonNull(type)));
            attributes = Collections.unmodifiableSortedMap(sorted);
        }
    }

    record TupleOf(List<CtyType> elements) implements CtyType {
        public TupleOf {
            elements = List.copyOf(elements);
        }
    }

    static CtyType list(CtyType element) {
        return new ListOf(element);
    }

    static CtyType set(CtyType element) {
        return new SetOf(element);
    }

    static CtyType map(CtyType element) {
        return new MapOf(element);
    }

    static ObjectOf object(Map<String, CtyType> attributes) {
        return new ObjectOf(attributes);
    }

    static CtyType tuple(List<CtyType> elements) {
        return new TupleOf(elements);
    }

    /**
     * This type as an HCL type expression, the form the {@code type} of Nomad's {@code hclspec.Attr} takes:
     * {@code string}, {@code list(string)}, {@code map(number)}, {@code object({a=string,b=bool})},
     * {@code tuple([string,number])}, {@code any}.
     */
    default String typeExpression() {
        return switch (this) {
            case Primitive p -> p.name();
            case Dynamic d -> "any";
            case ListOf l -> "list(" + l.element().typeExpression() + ")";
            case SetOf s -> "set(" + s.element().typeExpression() + ")";
            case MapOf m -> "map(" + m.element().typeExpression() + ")";
            case ObjectOf o -> {
                List<String> attrs = new ArrayList<>();
                o.attributes().forEach((name, type) -> attrs.add(name + "=" + type.typeExpression()));
                yield "object({" + String.join(",", attrs) + "})";
            }
            case TupleOf t -> "tuple([" + String.join(",", t.elements().stream().map(CtyType::typeExpression).toList()) + "])";
        };
    }

    /** A short name for messages: "a string", "a list of string", "an object". */
    default String described() {
        return switch (this) {
            case Primitive p -> "a " + p.name();
            case Dynamic d -> "a value of any type";
            case ListOf l -> "a list of " + l.element().typeExpression();
            case SetOf s -> "a set of " + s.element().typeExpression();
            case MapOf m -> "a map of " + m.element().typeExpression();
            case ObjectOf o -> "an object";
            case TupleOf t -> "a tuple of " + t.elements().size();
        };
    }

    /** go-cty orders names by Go's string comparison: UTF-8 bytes, which is code point order. */
    static int compareNames(String a, String b) {
        return CodePoints.compareCodePoints(a, b);
    }
}
