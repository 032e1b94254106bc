package dev.banger.it.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.Test;

/** {@link RoomRules} over banger-daemon, and proof on a fixture that the rule can fail. */
class RoomPolicyTest {
    private static final JavaClasses PRODUCTION = new ClassFileImporter()
            .withImportOption(new ProductionCode()).importPackages(RoomRules.DAEMON);

    @Test
    void daemonRoomsAreFreeOfCycles() {
        assertThat(PRODUCTION.stream().map(c -> c.getPackageName()).distinct().filter(p -> p.startsWith(RoomRules.DAEMON + ".")))
                .as("the daemon has rooms").contains(RoomRules.DAEMON + ".vm", RoomRules.DAEMON + ".vmm", RoomRules.DAEMON + ".rpc");
        RoomRules.roomsFreeOfCycles(RoomRules.DAEMON).check(PRODUCTION);
    }

    @Test
    void noRoomReachesBackIntoTheWiring() {
        noClasses().that().resideInAPackage(RoomRules.DAEMON + ".*..").should().dependOnClassesThat()
                .resideInAPackage(RoomRules.DAEMON).as("rooms never depend on the daemon's wiring (" + RoomRules.DAEMON + ")")
                .check(PRODUCTION);
    }

    @Test
    void theLifecycleReachesFeatureRoomsOnlyThroughItsSeams() {
        noClasses().that().resideInAPackage(RoomRules.DAEMON + ".vm..").should().dependOnClassesThat()
                .resideInAnyPackage(RoomRules.DAEMON + ".snapshot..", RoomRules.DAEMON + ".mount..", RoomRules.DAEMON + ".publish..",
                        RoomRules.DAEMON + ".task..")
                .as("the lifecycle (daemon.vm) knows snapshots, mounts, published ports and tasks only by its seams (Restores, Shares, "
                        + "VmTransitions.afterMove)")
                .check(PRODUCTION);
    }

    @Test
    void theCycleRuleFlagsItsFixture() {
        JavaClasses fixture = new ClassFileImporter().importPackages("dev.banger.it.archfixture.rooms");
        EvaluationResult r = RoomRules.roomsFreeOfCycles("dev.banger.it.archfixture.rooms").evaluate(fixture);
        assertThat(r.hasViolation()).isTrue();
        assertThat(String.join("\n", r.getFailureReport().getDetails())).contains("alpha").contains("beta");
    }
}
