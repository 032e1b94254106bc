package dev.banger.fcstub;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Firecracker's API contract (firecracker-api.yaml, Swagger 2.0, from the class path) and the validator
 * built from it. Every level is an error: in particular {@code validation.schema.additionalProperties},
 * which makes the validator add {@code additionalProperties: false} to each object schema, so an unknown
 * field is refused as Firecracker's serde ({@code deny_unknown_fields}) refuses it. Unknown paths and
 * methods are errors too ({@code validation.request.path.missing}, {@code .operation.notAllowed}).
 *
 * <p>Building the validator converts the spec to OpenAPI 3 and takes a second or two on a slow host, so
 * one instance is shared ({@link #shared()}) and may be started early ({@link #preload()}).
 */
final class ApiContract {
    static final String RESOURCE = "/firecracker-api.yaml";

    private static final Object SHARED_LOCK = new Object();
    private static ApiContract shared;

    private final OpenApiInteractionValidator validator;
    private final JsonNode spec;
    private final List<Operation> operations;

    /** One operation of the contract: its path template as a pattern, and its summary. */
    private record Operation(String method, String template, Pattern pattern, String summary) {
    }

    private ApiContract(String yaml) {
        this.spec = parse(yaml);
        LevelResolver levels = LevelResolver.create()
                .withDefaultLevel(ValidationReport.Level.ERROR)
                .withLevel("validation.schema.additionalProperties", ValidationReport.Level.ERROR)
                .withLevel("validation.request.path.missing", ValidationReport.Level.ERROR)
                .withLevel("validation.request.operation.notAllowed", ValidationReport.Level.ERROR)
                .build();
        this.validator = OpenApiInteractionValidator.createForInlineApiSpecification(yaml)
                .withLevelResolver(levels)
                .build();
        this.operations = operations(spec);
    }

    /** The contract from the class path, built once per JVM. */
    static ApiContract shared() {
        synchronized (SHARED_LOCK) {
            if (shared == null) {
                shared = new ApiContract(resourceText());
            }
            return shared;
        }
    }

    /** Starts building {@link #shared()} on a background thread, so a later call finds it ready. */
    static void preload() {
        Thread.ofPlatform().daemon().name("fcstub-contract").start(ApiContract::shared);
    }

    /** {@code info.version} of the contract, read without building the validator (for --version). */
    static String specVersion() {
        return parse(resourceText()).path("info").path("version").asText();
    }

    String version() {
        return spec.path("info").path("version").asText();
    }

    /** The contract's complaints about a request; empty when it conforms. */
    List<String> violations(ApiRequest request) {
        Request.Method method;
        try {
            method = Request.Method.valueOf(request.method().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return List.of(request.method() + " operation not allowed on path '" + request.path() + "'.");
        }
        SimpleRequest.Builder b = new SimpleRequest.Builder(method, request.path());
        if (!request.body().isEmpty()) {
            b.withBody(request.body());
        }
        if (request.contentType() != null) {
            b.withContentType(request.contentType());
        }
        request.query().forEach(b::withQueryParam);
        return errors(validator.validateRequest(b.build()));
    }

    /** The contract's complaints about a response the stub gives (tests check the stub's own answers). */
    List<String> responseViolations(String method, String path, int status, String jsonBody) {
        SimpleResponse.Builder b = SimpleResponse.Builder.status(status);
        if (jsonBody != null) {
            b.withContentType("application/json").withBody(jsonBody);
        }
        return errors(validator.validateResponse(path, Request.Method.valueOf(method), b.build()));
    }

    /**
     * Whether the contract marks the operation that {@code path} names "Pre-boot only" in its summary:
     * after InstanceStart, Firecracker answers those with "not supported after starting the microVM".
     */
    boolean preBootOnly(String method, String path) {
        return operation(method, path).map(o -> o.summary().contains("Pre-boot only")).orElse(false);
    }

    /** The path template of the contract that {@code path} matches ("/drives/{drive_id}"), if any. */
    Optional<String> template(String method, String path) {
        return operation(method, path).map(Operation::template);
    }

    private Optional<Operation> operation(String method, String path) {
        String m = method.toLowerCase(Locale.ROOT);
        return operations.stream().filter(o -> o.method().equals(m) && o.pattern().matcher(path).matches()).findFirst();
    }

    private static List<String> errors(ValidationReport report) {
        List<String> out = new ArrayList<>();
        for (ValidationReport.Message m : report.getMessages()) {
            if (m.getLevel() == ValidationReport.Level.ERROR) {
                out.add(m.getMessage());
            }
        }
        return out;
    }

    private static List<Operation> operations(JsonNode spec) {
        List<Operation> ops = new ArrayList<>();
        spec.path("paths").properties().forEach(p -> {
            String template = p.getKey();
            // a {param} matches one non-empty segment, the rest is literal
            StringBuilder regex = new StringBuilder();
            for (String part : template.split("(?=\\{)|(?<=\\})")) {
                regex.append(part.startsWith("{") ? "[^/]+" : Pattern.quote(part));
            }
            Pattern pattern = Pattern.compile(regex.toString());
            p.getValue().properties().forEach(m -> ops.add(new Operation(m.getKey(), template, pattern,
                    m.getValue().path("summary").asText(""))));
        });
        return List.copyOf(ops);
    }

    private static JsonNode parse(String yaml) {
        try {
            return new YAMLMapper().readTree(yaml);
        } catch (IOException e) {
            throw new UncheckedIOException("the Firecracker API contract " + RESOURCE + " is not valid YAML", e);
        }
    }

    private static String resourceText() {
        try (InputStream in = ApiContract.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path: the build copies it from src/main/resources");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }
}
