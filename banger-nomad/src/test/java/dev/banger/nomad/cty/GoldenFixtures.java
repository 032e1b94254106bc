package dev.banger.nomad.cty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** fixtures/cty-fixtures.json: values go-cty's msgpack.Marshal encoded (see fixtures/gen.go for the format). */
record GoldenFixtures() {

    record Fixture(String name, String note, String typeJson, CtyType type, JsonNode expected, byte[] msgpack) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final Path FILE = Path.of("fixtures", "cty-fixtures.json");

    static List<Fixture> all() {
        try {
            JsonNode root = new ObjectMapper().readTree(Files.readString(FILE));
            List<Fixture> out = new ArrayList<>();
            for (JsonNode f : root) {
                String typeJson = f.get("type").toString();
                out.add(new Fixture(f.get("name").asText(), f.get("note").asText(), typeJson, CtyTypeJson.parse(typeJson),
                        f.get("value"), HexFormat.of().parseHex(f.get("msgpack").asText())));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Fixture named(String name) {
        return all().stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no fixture " + name));
    }
}
