package dev.banger.it.arch;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.banger.cli.archfixture.OpensTheStore;
import dev.banger.cli.archfixture.ReachesIntoDaemon;
import dev.banger.core.archfixture.ExecsViaRuntime;
import dev.banger.core.archfixture.NamesProcPath;
import dev.banger.core.archfixture.ReadsFiles;
import dev.banger.core.archfixture.ShellsOut;
import dev.banger.core.archfixture.UsesRuntimeHarmlessly;
import dev.banger.daemon.archfixture.UsesJdbc;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves that every rule of {@link ShellOutRules} can fail: each is evaluated on deliberately violating
 * fixture classes (test sources in dev.banger.*.archfixture, so the real check in
 * {@link ShellOutPolicyTest} never sees them) and must report the fixture that breaks it, and only that.
 */
class ShellOutPolicyFixtureTest {
    private static final JavaClasses FIXTURES = new ClassFileImporter().importClasses(
            ShellsOut.class, ExecsViaRuntime.class, UsesRuntimeHarmlessly.class, ReadsFiles.class, NamesProcPath.class,
            ReachesIntoDaemon.class, OpensTheStore.class, UsesJdbc.class);

    private static List<String> violations(ArchRule rule) {
        EvaluationResult result = rule.evaluate(FIXTURES);
        assertThat(result.hasViolation()).as("%s reports a violation on the fixtures", rule.getDescription()).isTrue();
        return result.getFailureReport().getDetails();
    }

    @Test
    void processApiRuleFlagsProcessBuilderOutsideHost() {
        assertThat(String.join("\n", violations(ShellOutRules.ONLY_HOST_USES_PROCESS_API)))
                .contains(ShellsOut.class.getName())
                .contains("java.lang.ProcessBuilder")
                .doesNotContain(UsesRuntimeHarmlessly.class.getName());
    }

    @Test
    void runtimeExecRuleFlagsExecButNotOtherRuntimeMethods() {
        String report = String.join("\n", violations(ShellOutRules.ONLY_HOST_CALLS_RUNTIME_EXEC));
        assertThat(report).contains(ExecsViaRuntime.class.getName()).contains("exec");
        assertThat(report).doesNotContain(UsesRuntimeHarmlessly.class.getName());
        assertThat(ShellOutRules.ONLY_HOST_CALLS_RUNTIME_EXEC
                .evaluate(new ClassFileImporter().importClasses(UsesRuntimeHarmlessly.class)).hasViolation())
                .as("addShutdownHook/availableProcessors are not exec").isFalse();
    }

    @Test
    void foreignApiRuleFlagsArenaOutsideHost() {
        assertThat(String.join("\n", violations(ShellOutRules.ONLY_HOST_USES_FOREIGN_API)))
                .contains(ReachesIntoDaemon.class.getName())
                .contains("java.lang.foreign.Arena");
    }

    @Test
    void noIoRuleFlagsFilesInCore() {
        List<String> details = violations(ShellOutRules.CORE_AND_API_DO_NO_IO);
        assertThat(String.join("\n", details))
                .contains(ReadsFiles.class.getName())
                .contains("java.nio.file.Files")
                // the CLI and daemon fixtures are outside core/api: the rule does not apply to them
                .doesNotContain(UsesJdbc.class.getName())
                .doesNotContain(OpensTheStore.class.getName());
    }

    @Test
    void cliRuleFlagsDaemonAndStoreImports() {
        assertThat(String.join("\n", violations(ShellOutRules.CLI_IS_INDEPENDENT_OF_DAEMON_AND_STORE)))
                .contains(ReachesIntoDaemon.class.getName())
                .contains("dev.banger.daemon.Daemon")
                .contains(OpensTheStore.class.getName())
                .contains("dev.banger.store.Database");
    }

    @Test
    void jdbcRuleFlagsJavaSqlOutsideStore() {
        assertThat(String.join("\n", violations(ShellOutRules.ONLY_STORE_USES_JDBC)))
                .contains(UsesJdbc.class.getName())
                .contains("java.sql.DriverManager");
    }

    @Test
    void kernelPathRuleFlagsTheProcConstant() {
        assertThat(String.join("\n", violations(ShellOutRules.KERNEL_PATH_CONSTANTS_ONLY_IN_HOST)))
                .contains(NamesProcPath.class.getName())
                .contains("/proc/self/status")
                .doesNotContain(ShellsOut.class.getName());
    }

    @Test
    void constantScannerFindsPathConstantsAndConcatRecipesButNotProse() throws IOException {
        List<String> found = ShellOutRules.kernelPathConstants(FIXTURES.get(NamesProcPath.class));
        assertThat(found).contains("/proc/self/status", "/sys/class/net", "/dev/kvm", "/proc/\u0001/status");
        assertThat(found).noneMatch(s -> s.startsWith("no Uid line"));
        assertThat(ShellOutRules.kernelPathConstants(FIXTURES.get(ReadsFiles.class))).isEmpty();
    }

    @Test
    void kernelPathMatcher() {
        assertThat(List.of("/proc", "/proc/meminfo", "/sys/fs/cgroup/", "/dev/null", " /dev/kvm ", "/proc/%d/stat"))
                .allMatch(ShellOutRules::namesKernelPath);
        assertThat(List.of("/process", "/device", "/system", "proc/meminfo", "/var/lib/banger", "read /proc/meminfo", ""))
                .noneMatch(ShellOutRules::namesKernelPath);
    }
}
