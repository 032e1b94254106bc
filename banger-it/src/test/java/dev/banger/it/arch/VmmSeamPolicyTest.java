package dev.banger.it.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.Test;

/**
 * One VMM seam: outside the vmm room (and the wiring that builds the drivers), nothing in the daemon asks
 * which VMM a VM has or names a driver: it asks the driver through {@code Vmm} ({@code Vmms.of}, {@code
 * Vmms.require}). Checked over production, proven on a fixture.
 */
class VmmSeamPolicyTest {
    static final ArchRule ORCHESTRATION_NEVER_ASKS_WHICH_VMM = noClasses()
            .that().resideInAPackage(RoomRules.DAEMON + "..").and().resideOutsideOfPackage(RoomRules.DAEMON + ".vmm..")
            .and().doNotHaveFullyQualifiedName(RoomRules.DAEMON + ".Daemon")
            .should().dependOnClassesThat().haveFullyQualifiedName("dev.banger.core.vm.VmmKind")
            .orShould().dependOnClassesThat().haveFullyQualifiedName(LivenessRules.QEMU_VMM)
            .orShould().dependOnClassesThat().haveFullyQualifiedName(LivenessRules.FIRECRACKER_VMM)
            .as("outside " + RoomRules.DAEMON + ".vmm, nothing asks which VMM a VM has (VmmKind) or names a driver");

    @Test
    void productionGoesThroughTheSeam() {
        JavaClasses production = new ClassFileImporter().withImportOption(new ProductionCode())
                .importPackages(RoomRules.DAEMON);
        assertThat(production.contain(LivenessRules.QEMU_VMM)).as("the rule is not vacuous").isTrue();
        ORCHESTRATION_NEVER_ASKS_WHICH_VMM.check(production);
    }

    @Test
    void theRuleFlagsItsFixture() {
        JavaClasses fixture = new ClassFileImporter().importClasses(dev.banger.daemon.archfixture.AsksWhichVmm.class);
        EvaluationResult r = ORCHESTRATION_NEVER_ASKS_WHICH_VMM.evaluate(fixture);
        assertThat(r.hasViolation()).isTrue();
        assertThat(String.join("\n", r.getFailureReport().getDetails())).contains("AsksWhichVmm");
    }
}
