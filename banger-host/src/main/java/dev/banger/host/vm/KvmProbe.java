package dev.banger.host.vm;

import dev.banger.core.vm.Accelerator;
import dev.banger.core.vm.KernelArgs;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * Gathers the facts {@link Accelerator} decides on. Reads only: opening /dev/kvm creates no VM (that
 * takes an ioctl), so probing has no side effect on the host.
 */
public final class KvmProbe {
    private static final Path DEV_KVM = Path.of("/dev/kvm");
    private static final Path PROC_MODULES = Path.of("/proc/modules");
    private static final Path SYS_MODULE = Path.of("/sys/module");
    private static final Path CPUINFO = Path.of("/proc/cpuinfo");

    private KvmProbe() {
    }

    public static Accelerator.KvmFacts facts() {
        boolean exists = Files.exists(DEV_KVM);
        return new Accelerator.KvmFacts(exists, exists && openable(DEV_KVM), kvmModules(),
                Accelerator.cpuHasVmxOrSvm(read(CPUINFO)));
    }

    /** The choice under the configured mode, with the facts of this host. */
    public static Accelerator.Choice choose(Accelerator.Mode mode) {
        return Accelerator.decide(mode, facts());
    }

    /** The host's TSC rate when the guest can be told it under TCG (see {@link KernelArgs#hostTscKhz}). */
    public static OptionalLong hostTscKhz() {
        return KernelArgs.hostTscKhz(read(CPUINFO));
    }

    /**
     * Loaded modules from /proc/modules, plus built-in ones: a kvm_intel compiled into the kernel is not
     * in /proc/modules, but has a /sys/module directory (it has parameters). Without /proc/modules (some
     * containers) only /sys/module speaks.
     */
    private static Set<String> kvmModules() {
        Set<String> found = new TreeSet<>(Accelerator.kvmModules(read(PROC_MODULES)));
        for (String m : Accelerator.KVM_MODULES) {
            if (Files.isDirectory(SYS_MODULE.resolve(m))) {
                found.add(m);
            }
        }
        return found;
    }

    private static boolean openable(Path device) {
        try (FileChannel _ = FileChannel.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /** The file's text, or "" when it cannot be read: a missing fact reads as "no", never as a failure. */
    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException | SecurityException e) {
            return "";
        }
    }
}
