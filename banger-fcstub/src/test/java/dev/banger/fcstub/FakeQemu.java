package dev.banger.fcstub;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/** fake-qemu.py installed as {@code DIR/qemu-system-x86_64}; what it recorded of its run. */
final class FakeQemu {
    final Path dir;
    final Path binary;

    FakeQemu(Path dir) throws IOException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")) || Files.isExecutable(Path.of("/usr/local/bin/python3")),
                "skipped: python3 (which runs the fake QEMU) is not installed");
        this.dir = Files.createDirectories(dir);
        this.binary = dir.resolve(QemuArgv.BINARY);
        try (InputStream in = FakeQemu.class.getResourceAsStream("fake-qemu.py")) {
            Files.write(binary, in.readAllBytes());
        }
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** Makes the next run fail at once with {@code stderr}. */
    void failWith(String stderr) throws IOException {
        Files.writeString(dir.resolve("fail"), stderr);
    }

    List<String> argv() throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode n : ApiClient.JSON.readTree(dir.resolve("argv.json").toFile())) {
            out.add(n.asText());
        }
        return out;
    }

    OptionalLong pid() throws IOException {
        Path p = dir.resolve("pid");
        return Files.exists(p) ? OptionalLong.of(Long.parseLong(Files.readString(p).strip())) : OptionalLong.empty();
    }

    boolean alive() throws IOException {
        OptionalLong pid = pid();
        return pid.isPresent() && ProcessHandle.of(pid.getAsLong()).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The value after {@code option} in the recorded argv. */
    String after(String option) throws IOException {
        List<String> a = argv();
        return a.get(a.indexOf(option) + 1);
    }
}
