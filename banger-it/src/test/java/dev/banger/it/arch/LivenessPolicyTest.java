package dev.banger.it.arch;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.Test;

/** {@link LivenessRules} over the production classes, and proof on fixtures that each rule can fail. */
class LivenessPolicyTest {
    private static final JavaClasses PRODUCTION = new ClassFileImporter()
            .withImportOption(new ProductionCode()).importPackages("dev.banger");

    @Test
    void productionHasOneSourceOfLiveness() {
        assertThat(PRODUCTION.contain(LivenessRules.LIVENESS)).as("the rule is not vacuous").isTrue();
        LivenessRules.ONLY_LIVENESS_ASKS_THE_VMM.check(PRODUCTION);
        LivenessRules.ONLY_THE_DRIVER_CHECKS_QEMU_PROCESSES.check(PRODUCTION);
        LivenessRules.ONLY_THE_DRIVER_CHECKS_FIRECRACKER_PROCESSES.check(PRODUCTION);
        LivenessRules.ONLY_THE_DRIVERS_READ_THE_PROCESS_TABLE.check(PRODUCTION);
    }

    @Test
    void eachRuleFlagsItsFixture() throws ClassNotFoundException {
        JavaClasses fixtures = new ClassFileImporter().importClasses(Class.forName("dev.banger.daemon.AsksTheVmmDirectly"),
                dev.banger.daemon.archfixture.ChecksPidsItself.class);
        assertThat(report(LivenessRules.ONLY_LIVENESS_ASKS_THE_VMM, fixtures)).contains("AsksTheVmmDirectly").doesNotContain("ChecksPidsItself");
        assertThat(report(LivenessRules.ONLY_THE_DRIVER_CHECKS_QEMU_PROCESSES, fixtures)).contains("ChecksPidsItself")
                .doesNotContain("AsksTheVmmDirectly");
        assertThat(report(LivenessRules.ONLY_THE_DRIVER_CHECKS_FIRECRACKER_PROCESSES, fixtures)).contains("firecrackerAlive")
                .doesNotContain("AsksTheVmmDirectly");
        assertThat(report(LivenessRules.ONLY_THE_DRIVERS_READ_THE_PROCESS_TABLE, fixtures)).contains("anyPidAlive")
                .doesNotContain("qemuAlive");
    }

    private static String report(ArchRule rule, JavaClasses classes) {
        EvaluationResult r = rule.evaluate(classes);
        assertThat(r.hasViolation()).as("%s fails on its fixture", rule.getDescription()).isTrue();
        return String.join("\n", r.getFailureReport().getDetails());
    }
}
