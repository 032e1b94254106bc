package dev.banger.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Json;
import dev.banger.api.Params;
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

    private final List<Object> calls = new ArrayList<>();
    private final RpcDispatcher dispatcher = new RpcDispatcher()
            .register("vm.create", Params.VmCreate.class, p -> record(p))
            .register("vm.delete", Params.VmDelete.class, p -> record(p))
            .register("image.build", Params.ImageBuild.class, p -> record(p))
            .register("daemon.status", Void.class, p -> record("status"));

    private Object record(Object params) {
        calls.add(params);
        return java.util.Map.of("ok", true);
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
