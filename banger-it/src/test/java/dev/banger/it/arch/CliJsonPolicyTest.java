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
 * The CLI speaks the wire format through dev.banger.api.ClientJson (jackson-jr). Jackson's databind costs a
 * process that lives for one command ~25 ms and ~900 classes before its first answer, so one CLI class that
 * reached for dev.banger.api.Json or an ObjectMapper would bring that back to every command unnoticed.
 */
class CliJsonPolicyTest {
    static ArchRule noDatabindIn(String packages) {
        return noClasses().that().resideInAPackage(packages)
                .should().dependOnClassesThat().resideInAPackage("com.fasterxml.jackson.databind..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.banger.api.Json")
                .as("the CLI reads and writes JSON with ClientJson, never with databind");
    }

    @Test
    void theCliNeverTouchesDatabind() {
        JavaClasses cli = new ClassFileImporter().withImportOption(new ProductionCode()).importPackages("dev.banger.cli");
        assertThat(cli.contain("dev.banger.cli.DaemonClient")).as("the CLI's classes were imported").isTrue();
        noDatabindIn("dev.banger.cli..").check(cli);
    }

    @Test
    void theRuleFlagsDatabind() {
        JavaClasses api = new ClassFileImporter().withImportOption(new ProductionCode()).importPackages("dev.banger.api");
        EvaluationResult r = noDatabindIn("dev.banger.api..").evaluate(api);
        assertThat(r.hasViolation()).isTrue();
        assertThat(String.join("\n", r.getFailureReport().getDetails())).contains("dev.banger.api.Json");
    }
}
