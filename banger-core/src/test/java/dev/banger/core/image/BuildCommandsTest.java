package dev.banger.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BuildCommandsTest {
    @Test
    void debootstrapTakesOptionsThenSuiteTargetMirror() {
        List<String> argv = BuildCommands.debootstrap("bookworm", "http://m/debian", List.of("openssh-server", "iproute2"),
                Path.of("/c"), Path.of("/w/rootfs"));
        assertThat(argv).containsExactly("debootstrap", "--variant=minbase", "--cache-dir=/c", "--include=openssh-server,iproute2",
                "bookworm", "/w/rootfs", "http://m/debian");
    }

    @Test
    void packagesAndSuitesAreValidatedBeforeTheyReachAnArgv() {
        assertThatThrownBy(() -> ImageRecipe.validatePackage("--option=evil")).isInstanceOf(BangerException.class);
        assertThatThrownBy(() -> ImageRecipe.validatePackage("a;rm -rf /")).isInstanceOf(BangerException.class);
        assertThat(ImageRecipe.validatePackage("g++")).isEqualTo("g++");
        assertThatThrownBy(() -> ImageRecipe.validateSuite("../etc")).isInstanceOf(BangerException.class);
        assertThatThrownBy(() -> BuildCommands.aptDownload(Path.of("/r"), "/tmp/k", "-o=x")).isInstanceOf(BangerException.class);
    }

    @Test
    void shellWrappersTakeDataOnlyAsPositionalArguments() {
        // The script text is fixed; paths and names arrive as $1, $2, ... never spliced into it.
        List<String> argv = BuildCommands.aptDownload(Path.of("/r"), "/tmp/k", "linux-image-6.1.0-50-cloud-amd64");
        assertThat(argv.subList(0, 5)).containsExactly("chroot", "/r", "sh", "-c", "cd \"$1\" && exec apt-get -q download \"$2\"");
        assertThat(argv.get(argv.size() - 1)).isEqualTo("linux-image-6.1.0-50-cloud-amd64");
        List<String> cpio = BuildCommands.cpioCreate(Path.of("/t"), Path.of("/l"), Path.of("/o"));
        assertThat(cpio.get(2)).doesNotContain("/t").doesNotContain("/o");
        assertThat(cpio.subList(3, cpio.size())).containsExactly("cpio", "/t", "/l", "/o");
    }

    @Test
    void mkfsMakesALabelledSparseImageFromADirectory() {
        assertThat(BuildCommands.mkfsExt4(Path.of("/w/rootfs.ext4"), Path.of("/w/rootfs"), "banger-root", 2048))
                .containsExactly("mkfs.ext4", "-q", "-F", "-L", "banger-root", "-E", "root_owner=0:0", "-d", "/w/rootfs", "/w/rootfs.ext4", "2048M");
    }

    @Test
    void kernelPackageComesFromAptCacheDepends() {
        String out = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-50-cloud-amd64\n";
        assertThat(ImageRecipe.kernelPackage(out)).isEqualTo("linux-image-6.1.0-50-cloud-amd64");
        assertThatThrownBy(() -> ImageRecipe.kernelPackage("linux-image-cloud-amd64\n")).isInstanceOf(IllegalArgumentException.class);
    }
}
