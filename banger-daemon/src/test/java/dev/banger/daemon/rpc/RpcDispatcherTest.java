package dev.banger.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Json;
import dev.banger.api.Params;
import dev.banger.api.Rpc;
import dev.banger.api.Rpcs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The dispatcher is strict: a value of the wrong JSON type, or a key given twice, is an error naming the
 * field, and the method is never called with a guess. Handlers here record what they were called with.
 */
class RpcDispatcherTest {
    private static final int PARSE_ERROR = -32700;
    private static final int INVALID_REQUEST = -32600;
    private static final int INVALID_PARAMS = -32602;

    /** What the handlers here answer. */
    private record Ok(boolean ok) {
    }

    private static final Rpc<Params.VmCreate, Ok> CREATE = new Rpc<>("vm.create", Params.VmCreate.class, Ok.class);
    private static final Rpc<Params.VmDelete, Ok> DELETE = new Rpc<>("vm.delete", Params.VmDelete.class, Ok.class);
    private static final Rpc<Params.ImageBuild, Ok> BUILD = new Rpc<>("image.build", Params.ImageBuild.class, Ok.class);
    private static final Rpc<Void, Ok> STATUS = new Rpc<>("daemon.status", Void.class, Ok.class);

    private final List<Object> calls = new ArrayList<>();
    private final RpcDispatcher dispatcher = new RpcDispatcher()
            .register(CREATE, this::record)
            .register(DELETE, this::record)
            .register(BUILD, this::record)
            .register(STATUS, p -> record("status"));

    private Ok record(Object params) {
        calls.add(params);
        return new Ok(true);
    }

    @Test
    void paramsDecodeToTheDescriptorsTypeAndTheResultIsEncodedOnTheWire() {
        Rpc<Params.VmStop, Params.Deleted> stop = new Rpc<>("vm.stop", Params.VmStop.class, Params.Deleted.class);
        List<Params.VmStop> received = new ArrayList<>();
        RpcDispatcher d = new RpcDispatcher().register(stop, p -> {
            received.add(p);
            return new Params.Deleted("d257d58ff63c", p.vm(), List.of("left " + p.vm() + " alone"));
        });

        JsonNode reply = parse(d.dispatch("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"vm.stop\",\"params\":{\"vm\":\"web\",\"force\":true}}"));

        assertThat(received).containsExactly(new Params.VmStop("web", true));
        assertThat(reply.get("result")).isEqualTo(parse("{\"id\":\"d257d58ff63c\",\"name\":\"web\",\"warnings\":[\"left web alone\"]}"));
        assertThat(reply.get("id").asInt()).isEqualTo(3);
    }

    @Test
    void aMethodCannotBeRegisteredTwice() {
        RpcDispatcher d = new RpcDispatcher().register(STATUS, p -> new Ok(true));
        Rpc<Void, Params.DaemonStatus> sameName = Rpcs.DAEMON_STATUS;

        assertThatThrownBy(() -> d.register(STATUS, p -> new Ok(false)))
                .isInstanceOf(IllegalStateException.class).hasMessage("RPC method daemon.status is registered twice");
        assertThatThrownBy(() -> d.registerLong(sameName, (p, call) -> null))
                .as("a second descriptor of the same name too").isInstanceOf(IllegalStateException.class);
        assertThat(parse(d.dispatch("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"daemon.status\"}")).at("/result/ok").asBoolean())
                .as("the first handler stays").isTrue();
    }

    @Test
    void requireExactlyNamesWhatIsMissingAndWhatNobodyDescribes() {
        Rpc<Void, Ok> other = new Rpc<>("vm.other", Void.class, Ok.class);

        assertThat(dispatcher.requireExactly(List.of(CREATE, DELETE, BUILD, STATUS))).isSameAs(dispatcher);
        assertThatThrownBy(() -> dispatcher.requireExactly(List.of(CREATE, DELETE, BUILD, STATUS, other)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("RPC methods without a handler: [vm.other]; handlers of no known method: []");
        assertThatThrownBy(() -> dispatcher.requireExactly(List.of(CREATE, DELETE, BUILD)))
                .hasMessage("RPC methods without a handler: []; handlers of no known method: [daemon.status]");
        assertThatThrownBy(() -> dispatcher.requireExactly(List.of(CREATE, DELETE, BUILD, Rpcs.DAEMON_STATUS)))
                .as("the name alone is not enough: the types must be the descriptor's")
                .hasMessage("RPC methods without a handler: [daemon.status]; handlers of no known method: []");
    }

    private JsonNode call(String method, String params) {
        String line = dispatcher.dispatch("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"" + method + "\",\"params\":" + params + "}");
        return parse(line);
    }

    private static JsonNode parse(String line) {
        try {
            return Json.MAPPER.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            // The cases: a number, a boolean, a float beyond double's range where a string belongs.
            "{\"name\":1}                   | field 'name': expected a string, got the number 1",
            "{\"name\":true}                | field 'name': expected a string, got true",
            "{\"name\":1e400}               | field 'name': expected a string, got a number beyond any range",
            "{\"name\":1.5}                 | field 'name': expected a string, got the number 1.5",
            "{\"name\":[\"a\"]}             | field 'name': expected a string, got an array",
            "{\"name\":{}}                  | field 'name': expected a string, got an object",
            "{\"vcpus\":\"2\"}              | field 'vcpus': expected an integer, got the string \"2\"",
            "{\"vcpus\":\"\"}               | field 'vcpus': expected an integer, got the string \"\"",
            "{\"vcpus\":2.0}                | field 'vcpus': expected an integer, got the number 2.0",
            "{\"vcpus\":1e400}              | field 'vcpus': expected an integer, got a number beyond any range",
            "{\"vcpus\":true}               | field 'vcpus': expected an integer, got true",
            "{\"vcpus\":99999999999}        | field 'vcpus': expected an integer from -2147483648 to 2147483647, got the number 99999999999",
            "{\"root_disk_mib\":1e400}      | field 'root_disk_mib': expected an integer, got a number beyond any range",
    })
    void aValueOfTheWrongTypeIsInvalidParamsNamingTheFieldAndNothingIsCalled(String params, String message) {
        JsonNode reply = call("vm.create", params);

        assertError(reply, INVALID_PARAMS);
        assertThat(reply.get("id").asInt()).isEqualTo(7);
        assertThat(reply.at("/error/message").asText()).isEqualTo("invalid params for vm.create: " + message);
        assertThat(calls).as("the handler is not called").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "{\"vm\":\"a\",\"force\":1}      | field 'force': expected true or false, got the number 1",
            "{\"vm\":\"a\",\"force\":\"true\"} | field 'force': expected true or false, got the string \"true\"",
            "{\"vm\":7}                     | field 'vm': expected a string, got the number 7",
    })
    void booleansAndReferencesAreNotCoercedEither(String params, String message) {
        JsonNode reply = call("vm.delete", params);

        assertError(reply, INVALID_PARAMS);
        assertThat(reply.at("/error/message").asText()).isEqualTo("invalid params for vm.delete: " + message);
        assertThat(calls).isEmpty();
    }

    @Test
    void listElementsAreCheckedWithTheirIndex() {
        JsonNode reply = call("image.build", "{\"packages\":[\"curl\",5]}");

        assertError(reply, INVALID_PARAMS);
        assertThat(reply.at("/error/message").asText()).isEqualTo("invalid params for image.build: field 'packages[1]': expected a string, got the number 5");
        assertThat(call("image.build", "{\"packages\":\"curl\"}").at("/error/message").asText())
                .isEqualTo("invalid params for image.build: field 'packages': expected an array, got the string \"curl\"");
        assertThat(calls).isEmpty();
    }

    @Test
    void wellTypedParamsReachTheHandler() {
        JsonNode reply = call("vm.create", "{\"name\":\"web\",\"vcpus\":2,\"root_disk_mib\":null}");

        assertThat(reply.has("error")).as("%s", reply).isFalse();
        assertThat(calls).containsExactly(new Params.VmCreate("web", null, 2, null, null, null, null));
    }

    @Test
    void aKeyGivenTwiceInParamsIsInvalidParamsAnsweredWithTheRequestsId() {
        JsonNode reply = call("vm.create", "{\"name\":\"a\",\"name\":\"b\"}");

        assertError(reply, INVALID_PARAMS);
        assertThat(reply.get("id").asInt()).isEqualTo(7);
        assertThat(reply.at("/error/message").asText()).isEqualTo("invalid params for vm.create: field 'name' is given twice; give each field once");
        assertThat(calls).isEmpty();
    }

    @Test
    void aKeyGivenTwiceDeeperInParamsIsNamedByItsPath() {
        String line = "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"image.build\",\"params\":{\"extra\":[{\"k\":1,\"k\":2}]}}";

        JsonNode reply = parse(dispatcher.dispatch(line));

        assertError(reply, INVALID_PARAMS);
        assertThat(reply.get("id").asText()).isEqualTo("x");
        assertThat(reply.at("/error/message").asText()).contains("field 'extra[0].k' is given twice");
    }

    @Test
    void aNotificationWithAKeyGivenTwiceInParamsGetsNoReplyAndIsNotExecuted() {
        String reply = dispatcher.dispatch("{\"jsonrpc\":\"2.0\",\"method\":\"vm.create\",\"params\":{\"name\":\"a\",\"name\":\"b\"}}");

        assertThat(reply).isNull();
        assertThat(calls).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"daemon.status\"}                   | key 'id'",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.create\",\"method\":\"daemon.status\"}   | key 'method'",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.create\",\"params\":{},\"params\":{}}    | key 'params'",
    })
    void aKeyGivenTwiceInTheRequestObjectIsAnInvalidRequestWithNoId(String line, String key) {
        JsonNode reply = parse(dispatcher.dispatch(line));

        assertError(reply, INVALID_REQUEST);
        assertThat(reply.get("id").isNull()).as("%s", reply).isTrue();
        assertThat(reply.at("/error/message").asText()).isEqualTo("the request gives " + key + " twice; give each key once");
        assertThat(calls).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "{\"verbose\":true} | an object",
            "[]                 | an array",
            "\"all\"            | the string \"all\"",
            "0                  | the number 0",
    })
    void paramsForAMethodThatTakesNoneAreInvalidParams(String params, String given) {
        JsonNode reply = call("daemon.status", params);

        assertError(reply, INVALID_PARAMS);
        assertThat(reply.at("/error/message").asText()).isEqualTo("daemon.status takes no params, got " + given + "; leave \"params\" out or send {}");
        assertThat(calls).isEmpty();
    }

    @Test
    void noParamsEmptyParamsAndNullParamsAreFineForAMethodThatTakesNone() {
        assertThat(parse(dispatcher.dispatch("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"daemon.status\"}")).has("result")).isTrue();
        assertThat(call("daemon.status", "{}").has("result")).isTrue();
        assertThat(call("daemon.status", "null").has("result")).isTrue();
        assertThat(calls).hasSize(3);
    }

    @Test
    void paramsThatAreNotAnObjectAreInvalidParams() {
        JsonNode reply = call("vm.create", "[\"web\"]");

        assertError(reply, INVALID_PARAMS);
        assertThat(reply.at("/error/message").asText()).isEqualTo("params must be a JSON object with named fields, got an array");
    }

    @Test
    void jsonrpcVersionMustBeTheString20() {
        JsonNode reply = parse(dispatcher.dispatch("{\"jsonrpc\":2.0,\"id\":3,\"method\":\"daemon.status\"}"));

        assertError(reply, INVALID_REQUEST);
        assertThat(reply.get("id").asInt()).isEqualTo(3);
        assertThat(reply.at("/error/message").asText()).contains("the string \"2.0\"");
        assertThat(calls).isEmpty();
    }

    @Test
    void brokenJsonIsStillAParseErrorNotADuplicate() {
        JsonNode reply = parse(dispatcher.dispatch("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":"));

        assertError(reply, PARSE_ERROR);
        assertThat(reply.at("/error/message").asText()).startsWith("invalid JSON: ");
    }

    private static void assertError(JsonNode reply, int code) {
        assertThat(reply.has("result")).as("%s has no result", reply).isFalse();
        assertThat(reply.at("/error/code").asInt()).as("error code of %s", reply).isEqualTo(code);
    }
}
