package dev.banger.it.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.Source;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.StringEntry;
import java.net.URI;
import java.net.URLConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The shell-out policy of banger as ArchUnit rules, shared by the check over the real production classes
 * ({@link ShellOutPolicyTest}) and the proof that each rule can fail ({@link ShellOutPolicyFixtureTest}).
 *
 * <ul>
 *   <li>(a) only {@code dev.banger.host..} touches processes ({@link ProcessBuilder}, {@link Process},
 *       {@link ProcessHandle}, {@code Runtime.exec}) or the foreign function and memory API;</li>
 *   <li>(b) {@code dev.banger.core..} and {@code dev.banger.api..} do no I/O;</li>
 *   <li>(c) the CLI never reaches into the daemon or the store;</li>
 *   <li>(d) only the store speaks JDBC;</li>
 *   <li>(e) string constants naming /proc, /sys or /dev paths live only in {@code dev.banger.host..}.</li>
 * </ul>
 */
final class ShellOutRules {
    static final String HOST = "dev.banger.host..";
    /**
     * The guest agent is its own program, running inside the VM: reading the guest's /proc, running ss
     * and opening vsock (through libc) there is its job, and it cannot use banger-host (it ships without
     * dependencies). It is held to
     * its own boundary instead: only it, and nothing on the host side, lives in this package.
     */
    static final String AGENT = "dev.banger.agent..";
    /**
     * The strict Firecracker stub (banger-fcstub) stands in for an outside program, the firecracker
     * binary: running its emulated guest's QEMU and checking /sys/class/net for the tap is that program's
     * job, not banger's. A test tool, never shipped; banger's own code may not depend on it (it is on the
     * test classpath only).
     */
    static final String STUB = "dev.banger.fcstub..";

    private ShellOutRules() {
    }

    // ---- (a) processes and native access only in host

    /** (a) ProcessBuilder, Process, ProcessHandle (and their nested types such as ProcessBuilder.Redirect). */
    static final ArchRule ONLY_HOST_USES_PROCESS_API = noClasses()
            .that().resideOutsideOfPackages(HOST, AGENT, STUB)
            .should().dependOnClassesThat().belongToAnyOf(ProcessBuilder.class, Process.class, ProcessHandle.class)
            .as("(a) only " + HOST + " (and the guest's " + AGENT + ") may depend on ProcessBuilder, Process or ProcessHandle");

    /** (a) Runtime.exec in any overload, called or referenced (Runtime's other methods stay allowed). */
    static final ArchRule ONLY_HOST_CALLS_RUNTIME_EXEC = noClasses()
            .that().resideOutsideOfPackage(HOST)
            .should().accessTargetWhere(runtimeExec())
            .as("(a) only " + HOST + " may call Runtime.exec");

    /** (a) java.lang.foreign: native calls and off-heap memory are host business. */
    static final ArchRule ONLY_HOST_USES_FOREIGN_API = noClasses()
            .that().resideOutsideOfPackages(HOST, AGENT)
            .should().dependOnClassesThat().resideInAPackage("java.lang.foreign..")
            .as("(a) only " + HOST + " (and the guest's " + AGENT + ", for vsock) may depend on java.lang.foreign");

    // ---- (b) core and api are pure

    static final ArchRule CORE_AND_API_DO_NO_IO = noClasses()
            .that().resideInAnyPackage("dev.banger.core..", "dev.banger.api..")
            .should().dependOnClassesThat(ioClasses())
            .as("(b) dev.banger.core.. and dev.banger.api.. do no I/O");

    // ---- (c) the CLI talks to the daemon only over the socket

    static final ArchRule CLI_IS_INDEPENDENT_OF_DAEMON_AND_STORE = noClasses()
            .that().resideInAPackage("dev.banger.cli..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.banger.daemon..", "dev.banger.store..")
            .as("(c) dev.banger.cli.. never depends on dev.banger.daemon.. or dev.banger.store..");

    // ---- (d) JDBC only in the store

    static final ArchRule ONLY_STORE_USES_JDBC = noClasses()
            .that().resideOutsideOfPackage("dev.banger.store..")
            .should().dependOnClassesThat().resideInAPackage("java.sql..")
            .as("(d) only dev.banger.store.. may use java.sql");

    // ---- (e) kernel paths only in host

    /**
     * A constant that is itself a path under /proc, /sys or /dev: "/proc", "/dev/null", "/sys/class/net/",
     * and string-concatenation recipes such as "/proc/\u0001/status" (javac keeps those as string constants
     * too). A sentence that merely mentions such a path ("no Uid line in /proc/self/status", an error
     * message) does not name a path the code opens and is not flagged.
     */
    static final Pattern KERNEL_PATH = Pattern.compile("/(proc|sys|dev)(/.*)?", Pattern.DOTALL);

    static final ArchRule KERNEL_PATH_CONSTANTS_ONLY_IN_HOST = classes()
            .that().resideOutsideOfPackages(HOST, AGENT, STUB)
            .should(notHoldKernelPathConstants())
            .as("(e) string constants naming /proc, /sys or /dev paths appear only in " + HOST + " (and the guest's " + AGENT + ")");

    static List<ArchRule> all() {
        return List.of(ONLY_HOST_USES_PROCESS_API, ONLY_HOST_CALLS_RUNTIME_EXEC, ONLY_HOST_USES_FOREIGN_API,
                CORE_AND_API_DO_NO_IO, CLI_IS_INDEPENDENT_OF_DAEMON_AND_STORE, ONLY_STORE_USES_JDBC,
                KERNEL_PATH_CONSTANTS_ONLY_IN_HOST);
    }

    private static DescribedPredicate<JavaAccess<?>> runtimeExec() {
        return DescribedPredicate.describe("target is Runtime.exec",
                access -> access.getTargetOwner().isEquivalentTo(Runtime.class) && access.getName().equals("exec"));
    }

    private static DescribedPredicate<JavaClass> ioClasses() {
        return DescribedPredicate.describe(
                "do I/O (java.io.File*, java.io.RandomAccessFile, java.nio.file.Files, java.nio.channels.., "
                        + "java.net.Socket*/ServerSocket*/URL*/HttpURLConnection, java.net.http.., java.sql..)",
                ShellOutRules::isIoClass);
    }

    static boolean isIoClass(JavaClass c) {
        String pkg = c.getPackageName();
        String name = c.getName();
        // The top-level simple name, so java.net.URLConnection's nested types count like URLConnection.
        String simple = name.substring(name.lastIndexOf('.') + 1);
        int dollar = simple.indexOf('$');
        if (dollar >= 0) {
            simple = simple.substring(0, dollar);
        }
        return switch (pkg) {
            case "java.io" -> simple.startsWith("File") || simple.equals("RandomAccessFile");
            case "java.nio.file" -> simple.equals("Files");
            case "java.net" -> simple.startsWith("Socket") || simple.startsWith("ServerSocket") || simple.startsWith("URL")
                    || simple.equals("HttpURLConnection");
            default -> pkg.equals("java.nio.channels") || pkg.startsWith("java.nio.channels.")
                    || pkg.equals("java.net.http") || pkg.startsWith("java.net.http.")
                    || pkg.equals("java.sql") || pkg.startsWith("java.sql.");
        };
    }

    private static ArchCondition<JavaClass> notHoldKernelPathConstants() {
        return new ArchCondition<>("not hold string constants naming /proc, /sys or /dev paths") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                List<String> found;
                try {
                    found = kernelPathConstants(c);
                } catch (IOException | IllegalArgumentException e) {
                    // Never pass silently: a class we cannot read is a class we did not check.
                    events.add(SimpleConditionEvent.violated(c, "cannot read the class file of " + c.getName() + ": " + e));
                    return;
                }
                for (String s : found) {
                    events.add(SimpleConditionEvent.violated(c, c.getName() + " holds the string constant \""
                            + printable(s) + "\", which names a kernel path; move that access to " + HOST));
                }
            }
        };
    }

    /** The string constants of {@code c}'s class file that name /proc, /sys or /dev paths. */
    static List<String> kernelPathConstants(JavaClass c) throws IOException {
        return kernelPathConstants(classBytes(c));
    }

    static List<String> kernelPathConstants(byte[] classFile) {
        ClassModel model = ClassFile.of().parse(classFile);
        List<String> found = new ArrayList<>();
        for (PoolEntry entry : model.constantPool()) {
            if (entry instanceof StringEntry s && namesKernelPath(s.stringValue())) {
                found.add(s.stringValue());
            }
        }
        return found;
    }

    static boolean namesKernelPath(String constant) {
        return KERNEL_PATH.matcher(constant.strip()).matches();
    }

    /** The bytes of the class file ArchUnit imported {@code c} from (a directory or a jar entry). */
    static byte[] classBytes(JavaClass c) throws IOException {
        Optional<Source> source = c.getSource();
        if (source.isEmpty()) {
            throw new IOException("ArchUnit recorded no source for " + c.getName());
        }
        URI uri = source.get().getUri();
        URLConnection connection = uri.toURL().openConnection();
        connection.setUseCaches(false); // do not keep jar files open in the JVM-wide cache
        try (InputStream in = connection.getInputStream()) {
            return in.readAllBytes();
        }
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) {
            sb.append(ch < 0x20 ? String.format("\\u%04x", (int) ch) : String.valueOf(ch));
        }
        return sb.toString();
    }
}
