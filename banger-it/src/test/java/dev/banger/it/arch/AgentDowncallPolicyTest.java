package dev.banger.it.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.lang.foreign.Linker;
import org.junit.jupiter.api.Test;

/**
 * The guest agent links libc in one place, dev.banger.agent.Libc, whose single call shape keeps the
 * linker from spinning a stub per signature (~100 ms each under TCG, on the first command after a boot).
 * A class that made its own downcall handle would bring that cost back unnoticed; this rule notices.
 */
class AgentDowncallPolicyTest {
    private static final String LIBC = "dev.banger.agent.Libc";

    static ArchRule onlyLibcUsesTheLinker(String packages) {
        return noClasses().that().resideInAPackage(packages).and().doNotHaveFullyQualifiedName(LIBC)
                .should().dependOnClassesThat().areAssignableTo(Linker.class)
                .as("only " + LIBC + " links libc functions (its one call shape: Libc.fn, Libc.variadic)");
    }

    @Test
    void onlyLibcLinksDowncallsInTheAgent() {
        JavaClasses agent = new ClassFileImporter().withImportOption(new ProductionCode()).importPackages("dev.banger.agent");
        assertThat(agent.contain(LIBC)).as("the agent's classes were imported").isTrue();
        onlyLibcUsesTheLinker("dev.banger.agent..").check(agent);
    }

    @Test
    void theRuleFlagsAStrayDowncall() {
        JavaClasses fixture = new ClassFileImporter().importPackages("dev.banger.it.archfixture.downcall");
        EvaluationResult r = onlyLibcUsesTheLinker("dev.banger.it.archfixture.downcall..").evaluate(fixture);
        assertThat(r.hasViolation()).isTrue();
        assertThat(String.join("\n", r.getFailureReport().getDetails())).contains("StrayDowncall");
    }
}
