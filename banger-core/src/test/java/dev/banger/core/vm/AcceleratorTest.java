package dev.banger.core.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.vm.Accelerator.Choice;
import dev.banger.core.vm.Accelerator.KvmFacts;
import dev.banger.core.vm.Accelerator.Mode;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AcceleratorTest {
    private static final KvmFacts INTEL = new KvmFacts(true, true, Set.of("kvm", "kvm_intel"), true);
    /** This project's machines: /dev/kvm opens, but only kvm_pvm is behind it. */
    private static final KvmFacts PVM_ONLY = new KvmFacts(true, true, Set.of("kvm_pvm"), false);

    /**
     * The decision table: exists, accessible, modules, vmx/svm -> accelerator and a fragment of the reason.
     * KVM only with all three of: accessible /dev/kvm, a hardware module, the CPU flag.
     */
    @ParameterizedTest(name = "{0} {1} [{2}] {3} -> {4}")
    @CsvSource(delimiter = '|', value = {
            "true  | true  | kvm kvm_intel         | true  | kvm | kvm_intel is loaded and the CPU has vmx",
            "true  | true  | kvm kvm_amd           | true  | kvm | kvm_amd is loaded and the CPU has svm",
            "false | false | ''                    | true  | tcg | there is no /dev/kvm",
            "false | false | kvm kvm_intel         | true  | tcg | there is no /dev/kvm",
            "true  | false | kvm kvm_intel         | true  | tcg | cannot open /dev/kvm read-write",
            "true  | true  | kvm_pvm               | false | tcg | KVM is PVM-only here (kvm_pvm loaded, no kvm_intel/kvm_amd)",
            "true  | true  | kvm kvm_pvm           | true  | tcg | PVM-only",
            "true  | true  | kvm                   | true  | tcg | neither kvm_intel nor kvm_amd is loaded",
            "true  | true  | ''                    | true  | tcg | neither kvm_intel nor kvm_amd is loaded",
            "true  | true  | kvm kvm_intel         | false | tcg | does not advertise vmx or svm",
            "true  | true  | kvm kvm_intel kvm_pvm | true  | kvm | kvm_intel is loaded",
    })
    void decisionTable(boolean exists, boolean accessible, String modules, boolean cpuFlag, String accel, String reason) {
        Set<String> mods = modules.isBlank() ? Set.of() : Set.of(modules.trim().split("\\s+"));
        Choice c = Accelerator.decide(new KvmFacts(exists, accessible, mods, cpuFlag));
        assertThat(c.accel()).isEqualTo(accel);
        assertThat(c.reason()).contains(reason);
        assertThat(c.kvm()).isEqualTo(accel.equals("kvm"));
        if (!c.kvm()) {
            assertThat(c.reason()).endsWith("; using TCG");
        }
    }

    @Test
    void pvmOnlyHostGetsTcgWithTheWholeStory() {
        assertThat(Accelerator.decide(PVM_ONLY)).isEqualTo(new Choice("tcg",
                "KVM is PVM-only here (kvm_pvm loaded, no kvm_intel/kvm_amd): a normal guest kernel hangs under it; using TCG"));
    }

    @Test
    void configurationOverrides() {
        assertThat(Accelerator.decide(Mode.AUTO, PVM_ONLY).accel()).isEqualTo("tcg");
        assertThat(Accelerator.decide(Mode.TCG, INTEL)).isEqualTo(new Choice("tcg", "accel = \"tcg\" in the configuration: using TCG"));
        assertThat(Accelerator.decide(Mode.KVM, INTEL).accel()).isEqualTo("kvm");
        Choice forced = Accelerator.decide(Mode.KVM, PVM_ONLY);
        assertThat(forced.accel()).isEqualTo("kvm");
        assertThat(forced.reason()).startsWith("accel = \"kvm\" in the configuration overrides the automatic choice")
                .contains("PVM-only").doesNotContain("using TCG");
    }

    @Test
    void forcedKvmWithoutAUsableDeviceIsRefusedWithTheFix() {
        for (KvmFacts f : new KvmFacts[] {new KvmFacts(false, false, Set.of(), true), new KvmFacts(true, false, Set.of("kvm_intel"), true)}) {
            assertThatThrownBy(() -> Accelerator.decide(Mode.KVM, f))
                    .isInstanceOf(BangerException.class)
                    .hasMessageContaining("accel = \"kvm\" is configured")
                    .hasMessageContaining("set accel = \"auto\"")
                    .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.FAILED_PRECONDITION));
        }
    }

    @ParameterizedTest
    @CsvSource({"auto,AUTO", "kvm,KVM", "tcg,TCG", "' TCG ',TCG", "Auto,AUTO"})
    void modesParse(String text, Mode mode) {
        assertThat(Mode.parse(text)).isEqualTo(mode);
    }

    @Test
    void unsetModeIsAutoAndUnknownModesAreRefused() {
        assertThat(Mode.parse(null)).isEqualTo(Mode.AUTO);
        for (String bad : new String[] {"", "hvf", "kvm,tcg", "xen\n"}) {
            assertThatThrownBy(() -> Mode.parse(bad)).isInstanceOf(BangerException.class)
                    .hasMessageContaining("use \"auto\"")
                    .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }

    @Test
    void modulesComeFromTheFirstFieldOfProcModules() {
        String procModules = """
                kvm_intel 409600 0 - Live 0x0000000000000000
                kvm 1142784 1 kvm_intel, Live 0x0000000000000000
                irqbypass 16384 1 kvm, Live 0x0000000000000000
                kvm_amd_helper 1 0 - Live 0x0
                garbage
                """;
        assertThat(Accelerator.kvmModules(procModules)).containsExactlyInAnyOrder("kvm", "kvm_intel");
        assertThat(Accelerator.kvmModules("kvm_pvm 100 0 - Live 0x0\n")).containsExactly("kvm_pvm");
        assertThat(Accelerator.kvmModules("")).isEmpty();
    }

    @Test
    void cpuFlagsAreWordsOfTheFlagsLine() {
        assertThat(Accelerator.cpuHasVmxOrSvm("processor\t: 0\nflags\t\t: fpu vme de pse tsc msr vmx ept\n")).isTrue();
        assertThat(Accelerator.cpuHasVmxOrSvm("flags\t\t: fpu svm\n")).isTrue();
        assertThat(Accelerator.cpuHasVmxOrSvm("flags\t\t: fpu vmxnot hypervisor\n")).isFalse();
        assertThat(Accelerator.cpuHasVmxOrSvm("vmx flags\t: ept vpid\nflags\t\t: fpu\n")).isFalse();
        assertThat(Accelerator.cpuHasVmxOrSvm("")).isFalse();
    }
}
