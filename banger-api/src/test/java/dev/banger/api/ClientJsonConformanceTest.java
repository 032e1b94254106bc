package dev.banger.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * The CLI's jackson-jr codec ({@link ClientJson}) and the daemon's databind mapper ({@link Json}) must be one wire
 * format: for every parameter and result type in {@link Rpcs}, random values written by either are the same JSON,
 * and each side reads back what the other wrote.
 */
class ClientJsonConformanceTest {
    /** Every record type a call sends or answers with, and the records inside them. */
    private static final List<Class<?>> WIRE_TYPES = wireTypes();

    @Property(tries = 300)
    void bothSidesWriteTheSameJsonAndReadWhatTheOtherWrote(@ForAll long seed) throws IOException {
        Random random = new Random(seed);
        for (Class<?> type : WIRE_TYPES) {
            Object value = new RandomValues(random).of(type);
            String ours = ClientJson.line(value);
            String daemons = Json.line(value);
            if (type != RpcError.class) { // only bangerd writes errors, and leaves their nulls out; the CLI reads them
                JsonNode oursTree = Json.MAPPER.readTree(ours);
                assertThat(oursTree).as("%s written by ClientJson vs Json", type.getSimpleName()).isEqualTo(Json.MAPPER.readTree(daemons));
                assertThat(ours).as("field order of %s", type.getSimpleName()).isEqualTo(daemons);
            }
            assertThat(Json.MAPPER.readValue(ours, type)).as("the daemon reads the CLI's %s", type.getSimpleName()).isEqualTo(value);
            assertThat(ClientJson.read(daemons, type)).as("the CLI reads the daemon's %s", type.getSimpleName()).isEqualTo(value);
            assertThat(ours).doesNotContain("\n");
        }
    }

    @Test
    void coversEveryMethodsTypesAndTheRecordsInsideThem() {
        assertThat(WIRE_TYPES).contains(Params.VmList.class, VmRecord.class, VmSpec.class, VmRuntime.class, Params.VmExec.class,
                ImageManifest.class, ImageManifest.FileEntry.class, RpcError.class, Params.Progress.class);
    }

    @Test
    void requestLinesAreTheDaemonsJsonRpc() throws IOException {
        var params = new Params.VmDelete("demo", true);
        JsonNode line = Json.MAPPER.readTree(ClientJson.request(7, Rpcs.VM_DELETE, params));
        assertThat(line.get("jsonrpc").asText()).isEqualTo("2.0");
        assertThat(line.get("id").asLong()).isEqualTo(7);
        assertThat(line.get("method").asText()).isEqualTo("vm.delete");
        assertThat(Json.MAPPER.treeToValue(line.get("params"), Params.VmDelete.class)).isEqualTo(params);
        assertThat(Json.MAPPER.readTree(ClientJson.request(8, Rpcs.VM_LIST, null)).has("params")).isFalse();
    }

    @Test
    void snakeCaseIsDatabindsLetterForLetter() {
        assertThat(ClientJson.snakeCase("memoryMib")).isEqualTo("memory_mib");
        assertThat(ClientJson.snakeCase("vmID")).isEqualTo("vm_id");
        assertThat(ClientJson.snakeCase("sha256")).isEqualTo("sha256");
        assertThat(ClientJson.snakeCase("URLPath")).isEqualTo("urlpath");
        assertThat(ClientJson.snakeCase("_private")).isEqualTo("private");
    }

    @Test
    void aNewerDaemonsExtraFieldIsSkippedAndABadInstantIsAnError() throws IOException {
        var spec = ClientJson.read("{\"name\":\"a\",\"image\":\"i\",\"vcpus\":2,\"memory_mib\":512,\"root_disk_mib\":1,"
                + "\"work_disk_mib\":2,\"vmm\":\"qemu\",\"gpu\":true}", VmSpec.class);
        assertThat(spec).isEqualTo(new VmSpec("a", "i", 2, 512, 1, 2, "qemu"));
        assertThatThrownBy(() -> ClientJson.read("{\"id\":\"x\",\"created_at\":\"yesterday\"}", VmRecord.class))
                .isInstanceOf(IOException.class).hasMessageContaining("yesterday");
    }

    @Test
    void prettyIsIndentedJsonOfTheSameValue() throws IOException {
        var value = new Params.Deleted("id1", "demo", List.of("a warning"));
        String pretty = ClientJson.pretty(value);
        assertThat(pretty).contains("\n  \"name\" : \"demo\"");
        assertThat(Json.MAPPER.readValue(pretty, Params.Deleted.class)).isEqualTo(value);
    }

    private static List<Class<?>> wireTypes() {
        Set<Class<?>> found = new LinkedHashSet<>();
        for (Rpc<?, ?> rpc : Rpcs.ALL) {
            collect(rpc.paramsType(), found);
            collect(rpc.resultType(), found);
        }
        collect(RpcError.class, found);
        collect(Params.Progress.class, found);
        return List.copyOf(found);
    }

    private static void collect(Type type, Set<Class<?>> found) {
        if (type instanceof ParameterizedType p) {
            for (Type argument : p.getActualTypeArguments()) {
                collect(argument, found);
            }
        } else if (type instanceof Class<?> c && c.isRecord() && found.add(c)) {
            for (RecordComponent component : c.getRecordComponents()) {
                collect(component.getGenericType(), found);
            }
        }
    }

    /** Random values of wire types: nulls where a reference may be null, awkward strings, instants to the nanosecond. */
    private record RandomValues(Random random) {
        private static final String[] AWKWARD = {"", "demo", "a\"quote", "back\\slash", "line\nbreak", "tab\t", "é ü 中 🙂", "\u0000\u001f"};

        Object of(Type type) {
            return of(type, 0, false);
        }

        /** Elements of lists and maps are never null: no wire list holds a null. */
        private Object of(Type type, int depth, boolean nullable) {
            if (type instanceof ParameterizedType p) {
                Class<?> raw = (Class<?>) p.getRawType();
                Type[] args = p.getActualTypeArguments();
                int n = depth > 3 ? 0 : random.nextInt(4);
                if (raw == List.class) {
                    List<Object> list = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        list.add(of(args[0], depth + 1, false));
                    }
                    return list;
                }
                if (raw == Map.class) {
                    Map<Object, Object> map = new LinkedHashMap<>();
                    for (int i = 0; i < n; i++) {
                        map.put(string() + i, of(args[1], depth + 1, false));
                    }
                    return map;
                }
                throw new IllegalArgumentException("no generator for " + type);
            }
            Class<?> c = (Class<?>) type;
            if (c == int.class) {
                return random.nextInt();
            }
            if (c == long.class) {
                return random.nextLong();
            }
            if (c == boolean.class) {
                return random.nextBoolean();
            }
            if (nullable && random.nextInt(6) == 0) {
                return null;
            }
            if (c == String.class) {
                return string();
            }
            if (c == Integer.class) {
                return random.nextInt();
            }
            if (c == Long.class) {
                return random.nextLong();
            }
            if (c == Boolean.class) {
                return random.nextBoolean();
            }
            if (c == Double.class) {
                return random.nextInt(4) == 0 ? 0.0 : random.nextDouble() * Math.pow(10, random.nextInt(-3, 6));
            }
            if (c == Instant.class) {
                return Instant.ofEpochSecond(random.nextLong(0, 4_000_000_000L), random.nextInt(4) == 0 ? 0 : random.nextInt(1_000_000_000));
            }
            if (c.isEnum()) {
                Object[] constants = c.getEnumConstants();
                return constants[random.nextInt(constants.length)];
            }
            if (c.isRecord()) {
                RecordComponent[] components = c.getRecordComponents();
                Object[] args = new Object[components.length];
                Class<?>[] types = new Class<?>[components.length];
                for (int i = 0; i < components.length; i++) {
                    args[i] = of(components[i].getGenericType(), depth + 1, true);
                    types[i] = components[i].getType();
                }
                try {
                    return c.getDeclaredConstructor(types).newInstance(args);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("cannot make a " + c.getName(), e);
                }
            }
            throw new IllegalArgumentException("no generator for " + c + ": teach this test the new wire type");
        }

        private String string() {
            return random.nextBoolean() ? AWKWARD[random.nextInt(AWKWARD.length)] : Long.toString(random.nextLong(), 36);
        }
    }
}
