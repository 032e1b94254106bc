package dev.banger.host;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything an image build needs to know, resolved by the daemon before the build starts.
 *
 * @param workDir the build directory; the published image is this directory, renamed
 * @param packageCache debootstrap's --cache-dir, kept across builds
 * @param recipeDir the repository's images/ directory (customize.sh, guest files, initramfs init)
 * @param agentJar the guest agent's jar; its lib/ directory sits beside it
 * @param jdkHome the JDK whose jlink makes the guest's trimmed Java runtime
 */
public record ImageBuildSpec(String distro, String name, String suite, long sizeMib, List<String> packages, String mirror,
                             Path workDir, Path packageCache, Path recipeDir, Path agentJar, Path jdkHome) {
}
