package dev.banger.core.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Chooses how QEMU runs guest code: KVM (hardware virtualisation) or TCG (QEMU's JIT, 5-20x slower but
 * works anywhere). Pure: the host layer ({@code KvmProbe}) gathers the facts.
 *
 * <p>"/dev/kvm opens" is not proof that KVM works: on PVM-only hosts (module {@code kvm_pvm}, no
 * {@code kvm_intel}/{@code kvm_amd}, no vmx/svm CPU flag) KVM_CREATE_VM succeeds, yet a normal guest
 * kernel hangs right after "Probing EDD". So KVM is chosen only when /dev/kvm is accessible AND a
 * hardware KVM module is loaded (or built in) AND the CPU advertises vmx or svm.
 */
public final class Accelerator {
    public static final String KVM = "kvm";
    public static final String TCG = "tcg";

    /** The modules that matter, as named in /proc/modules (and /sys/module for built-in ones). */
    public static final Set<String> KVM_MODULES = Set.of("kvm", "kvm_intel", "kvm_amd", "kvm_pvm");

    /**
     * What the host says about KVM.
     *
     * @param loadedModules the {@link #KVM_MODULES} that are loaded or built in
     * @param cpuHasVmxOrSvm whether /proc/cpuinfo's flags list vmx (Intel) or svm (AMD)
     */
    public record KvmFacts(boolean devKvmExists, boolean devKvmAccessible, Set<String> loadedModules, boolean cpuHasVmxOrSvm) {
        public KvmFacts {
            loadedModules = Set.copyOf(loadedModules);
        }

        boolean hardwareModule() {
            return loadedModules.contains("kvm_intel") || loadedModules.contains("kvm_amd");
        }

        boolean pvmOnly() {
            return loadedModules.contains("kvm_pvm") && !hardwareModule();
        }
    }

    /** The decision and why, in words fit for a log line or {@code daemon status}. */
    public record Choice(String accel, String reason) {
        public Choice {
            if (!KVM.equals(accel) && !TCG.equals(accel)) {
                throw new IllegalArgumentException("accel must be kvm or tcg, not " + accel);
            }
        }

        public boolean kvm() {
            return KVM.equals(accel);
        }
    }

    /** The configuration setting ({@code accel = "auto" | "kvm" | "tcg"}). */
    public enum Mode {
        AUTO, KVM, TCG;

        /** Parses the setting; {@code null} means not set, which is {@link #AUTO}. */
        public static Mode parse(String text) {
            if (text == null) {
                return AUTO;
            }
            return switch (text.strip().toLowerCase(Locale.ROOT)) {
                case "auto" -> AUTO;
                case "kvm" -> KVM;
                case "tcg" -> TCG;
                default -> throw BangerException.invalid("accel '" + printable(text)
                        + "' is not a known accelerator: use \"auto\" (KVM when it works, else TCG), \"kvm\" or \"tcg\"");
            };
        }
    }

    private Accelerator() {
    }

    /** The automatic choice. */
    public static Choice decide(KvmFacts facts) {
        if (!facts.devKvmExists()) {
            return tcg("there is no /dev/kvm (KVM is not available on this host or its module is not loaded)");
        }
        if (!facts.devKvmAccessible()) {
            return tcg("bangerd cannot open /dev/kvm read-write (run it as root or give it the kvm group)");
        }
        if (facts.pvmOnly()) {
            return tcg("KVM is PVM-only here (kvm_pvm loaded, no kvm_intel/kvm_amd): a normal guest kernel hangs under it");
        }
        if (!facts.hardwareModule()) {
            return tcg("neither kvm_intel nor kvm_amd is loaded (modprobe kvm_intel or kvm_amd to use KVM)");
        }
        if (!facts.cpuHasVmxOrSvm()) {
            return tcg("the CPU does not advertise vmx or svm (enable virtualisation in the firmware, or nested "
                    + "virtualisation on the hypervisor)");
        }
        String module = facts.loadedModules().contains("kvm_intel") ? "kvm_intel" : "kvm_amd";
        return new Choice(KVM, "KVM: /dev/kvm is accessible, " + module + " is loaded and the CPU has "
                + (module.equals("kvm_intel") ? "vmx" : "svm"));
    }

    /**
     * The choice under the configuration setting. A forced {@code kvm} is refused when it cannot work at
     * all (no accessible /dev/kvm); on a host whose automatic choice would be TCG it is honoured, with the
     * reason saying so, since the detection may be what is wrong.
     */
    public static Choice decide(Mode mode, KvmFacts facts) {
        return switch (mode) {
            case AUTO -> decide(facts);
            case TCG -> new Choice(TCG, "accel = \"tcg\" in the configuration: using TCG");
            case KVM -> {
                if (!facts.devKvmExists() || !facts.devKvmAccessible()) {
                    throw new BangerException(ErrorCode.FAILED_PRECONDITION, "accel = \"kvm\" is configured, but "
                            + (facts.devKvmExists() ? "bangerd cannot open /dev/kvm read-write" : "there is no /dev/kvm")
                            + ": load kvm_intel or kvm_amd and run bangerd as root, or set accel = \"auto\" to fall back to TCG");
                }
                Choice auto = decide(facts);
                yield new Choice(KVM, auto.kvm() ? auto.reason()
                        : "accel = \"kvm\" in the configuration overrides the automatic choice (which was TCG: "
                        + auto.reason().replaceFirst("; using TCG$", "") + ")");
            }
        };
    }

    /**
     * The {@link #KVM_MODULES} listed in /proc/modules (first field of each line). Malformed lines are
     * skipped: the file comes from the kernel, but a parser of host text should never be the failure.
     */
    public static Set<String> kvmModules(String procModules) {
        Set<String> found = new TreeSet<>();
        for (String line : procModules.split("\n")) {
            int space = line.indexOf(' ');
            String name = space < 0 ? line.strip() : line.substring(0, space);
            if (KVM_MODULES.contains(name)) {
                found.add(name);
            }
        }
        return found;
    }

    /** Whether any {@code flags} line of /proc/cpuinfo lists vmx or svm. */
    public static boolean cpuHasVmxOrSvm(String cpuinfo) {
        for (String line : cpuinfo.split("\n")) {
            if (line.startsWith("flags")) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                for (String flag : line.substring(colon + 1).strip().split("\\s+")) {
                    if (flag.equals("vmx") || flag.equals("svm")) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static Choice tcg(String why) {
        return new Choice(TCG, why + "; using TCG");
    }

    static String printable(String s) {
        return dev.banger.core.Text.printable(s, 40);
    }
}
