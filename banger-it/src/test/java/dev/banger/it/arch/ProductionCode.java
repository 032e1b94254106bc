package dev.banger.it.arch;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;

/**
 * The classes the rules hold to: banger's production code. ArchUnit's DoNotIncludeTests leaves out test-class
 * directories, but a module's test jar (banger-nomad's, which the Nomad driver's integration tests use for its harness)
 * is a jar on the class path, so it is left out here by its name.
 */
final class ProductionCode implements ImportOption {
    private static final ImportOption NOT_TEST_DIRECTORIES = new ImportOption.DoNotIncludeTests();

    @Override
    public boolean includes(Location location) {
        return NOT_TEST_DIRECTORIES.includes(location) && !location.contains("-tests.jar");
    }
}
