package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The CLI's class path leaves out Jetty and slf4j (banger-cli's pom): they serve the daemon's Firecracker
 * client, and every CLI start scans each jar on its class path once. This walks every banger class the CLI can
 * reach, from its entry point and each class of its own package, through the classes their constant pools name,
 * and finds none that names a class of those libraries. A class that does would fail at run time with
 * NoClassDefFoundError; put it out of the CLI's reach, or the dependency back.
 */
class CliClassPathTest {
    private static final Set<String> LEFT_OUT = Set.of("org/eclipse/jetty/", "org/slf4j/");

    @Test
    void noClassTheCliReachesNamesJettyOrSlf4j() throws IOException {
        Deque<String> todo = new ArrayDeque<>();
        Set<String> seen = new TreeSet<>();
        Set<String> offending = new TreeSet<>();
        todo.add("dev/banger/cli/Main");
        for (String verb : new String[] {"VmVerbs", "ImageVerbs", "DaemonVerbs", "DoctorCommand", "VersionCommand", "CompletionCommand"}) {
            todo.add("dev/banger/cli/" + verb);
        }
        while (!todo.isEmpty()) {
            String name = todo.poll();
            if (!seen.add(name)) {
                continue;
            }
            ClassModel model = load(name);
            for (PoolEntry entry : model.constantPool()) {
                if (entry instanceof ClassEntry c) {
                    String target = c.asInternalName();
                    if (LEFT_OUT.stream().anyMatch(target::startsWith)) {
                        offending.add(name + " -> " + target);
                    } else if (target.startsWith("dev/banger/") && !seen.contains(target)) {
                        todo.add(target);
                    }
                }
            }
        }

        assertThat(seen).as("the walk reaches the host layer the CLI uses").contains("dev/banger/host/DaemonLauncher", "dev/banger/cli/CallVerb");
        assertThat(offending).isEmpty();
    }

    private static ClassModel load(String internalName) throws IOException {
        try (InputStream in = CliClassPathTest.class.getClassLoader().getResourceAsStream(internalName + ".class")) {
            assertThat(in).as("class file of %s", internalName).isNotNull();
            return ClassFile.of().parse(in.readAllBytes());
        }
    }
}
