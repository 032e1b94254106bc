package dev.banger.it.arch;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * banger's shell-out policy (see {@link ShellOutRules}) over the production classes of every module.
 * Test classes, among them the deliberately violating fixtures under dev.banger.*.archfixture, are not
 * imported ({@link ImportOption.DoNotIncludeTests}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ShellOutPolicyTest {
    private JavaClasses production;

    @BeforeAll
    void importProductionClasses() {
        production = new ClassFileImporter()
                .withImportOption(new ProductionCode())
                .importPackages("dev.banger");
    }

    /** The rules must not pass vacuously: every module's classes are there, and no test class is. */
    @Test
    void importsEveryModuleAndNoTestClass() {
        assertThat(production.stream().map(JavaClass::getName)).contains(
                "dev.banger.api.Json", "dev.banger.core.VmNames", "dev.banger.host.HostInfo",
                "dev.banger.host.DaemonLauncher", "dev.banger.store.Database", "dev.banger.daemon.Daemon",
                "dev.banger.cli.Main", "dev.banger.agent.Main");
        assertThat(production.stream().map(JavaClass::getPackageName))
                .noneMatch(p -> p.contains("archfixture"))
                .noneMatch(p -> p.startsWith("dev.banger.it"));
    }

    /** The constant scanner reads real class files: it sees the /proc paths that HostInfo legitimately names. */
    @Test
    void constantScannerSeesHostsKernelPaths() throws IOException {
        JavaClass hostInfo = production.get("dev.banger.host.HostInfo");
        assertThat(ShellOutRules.kernelPathConstants(hostInfo)).contains("/proc/self/status", "/proc/meminfo");
        JavaClass launcher = production.get("dev.banger.host.DaemonLauncher");
        assertThat(ShellOutRules.kernelPathConstants(launcher)).contains("/dev/null");
    }

    @Test
    void onlyHostUsesTheProcessApi() {
        ShellOutRules.ONLY_HOST_USES_PROCESS_API.check(production);
    }

    @Test
    void onlyHostCallsRuntimeExec() {
        ShellOutRules.ONLY_HOST_CALLS_RUNTIME_EXEC.check(production);
    }

    @Test
    void onlyHostUsesTheForeignApi() {
        ShellOutRules.ONLY_HOST_USES_FOREIGN_API.check(production);
    }

    @Test
    void coreAndApiDoNoIo() {
        ShellOutRules.CORE_AND_API_DO_NO_IO.check(production);
    }

    @Test
    void cliDependsNeitherOnDaemonNorOnStore() {
        ShellOutRules.CLI_IS_INDEPENDENT_OF_DAEMON_AND_STORE.check(production);
    }

    @Test
    void onlyStoreUsesJdbc() {
        ShellOutRules.ONLY_STORE_USES_JDBC.check(production);
    }

    @Test
    void kernelPathConstantsOnlyInHost() {
        ShellOutRules.KERNEL_PATH_CONSTANTS_ONLY_IN_HOST.check(production);
    }
}
