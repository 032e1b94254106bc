package dev.banger.core.vm;

import dev.banger.api.BangerException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The guest kernel command line, in one place. The guest side of each argument (banger's initramfs
 * {@code /init} reads {@code root=}, {@code rw}, {@code banger.init=} and {@code panic=}) is described in
 * images/README.md; the initramfs is images/initramfs/init.
 *
 * <pre>
 *   console=ttyS0                      kernel messages and "banger-init: ready" go to the serial console file
 *   root=/dev/vda rw                   the root overlay is always the first drive (QemuCommand fixes the order)
 *   banger.init=/sbin/banger-init      fast boot (busybox init, ~5 s under TCG), or
 *   banger.init=/lib/systemd/systemd   full systemd (~14 s under TCG)
 *   panic=-1                           a kernel panic (or a failed initramfs hand-over) reboots at once, and
 *                                      QEMU's -no-reboot turns that into an exit the daemon sees
 *   reboot=t                           reboot by triple fault, the reset QEMU's -no-reboot always catches
 *                                      (images/README.md saw other methods restart the guest instead)
 *   cryptomgr.notests                  the kernel skips its crypto self-tests at boot (see below)
 *   quiet                              optional: errors only on the console. Not the default: it saved
 *                                      nothing measurable here (8.0 s to ready either way, 3 boots each,
 *                                      18 KB of console text), and a failed boot is explained by the rest
 *   tsc_early_khz=N tsc=reliable       TCG only, when the host's TSC rate is known (see below)
 * </pre>
 *
 * <p>Why the TSC arguments: under TCG the guest reads the host's TSC unscaled, but the guest kernel must
 * first measure its rate. microvm has no HPET and no ACPI PM timer, so the only reference is the PIT, and
 * on a slow TCG host (nested virtualisation) PIT calibration fails ("tsc: Unable to calibrate against
 * PIT"); the local APIC timer then cannot be calibrated either, jiffies never advance and the boot hangs
 * for good after "Marking TSC unstable". Given the rate, the kernel skips calibration; {@code tsc=reliable}
 * keeps the clocksource watchdog from discarding the TSC for the tick-based jiffies clock, whose ticks
 * TCG delivers late (the guest's clock would run slow). Under KVM the kvm-clock carries the rate instead.
 *
 * <p>Why {@code cryptomgr.notests}: the kernel checks each crypto algorithm it registers against known
 * answers before first use. Under TCG those checks were the largest part of the kernel's own boot:
 * {@code initcall_debug} put 0.21 s in {@code crypto_algapi_init} alone, and the kernel reached
 * {@code /init} at 0.96 s instead of 1.33 s without them (Debian's cloud kernel, 1 vCPU). They guard
 * against a broken implementation of an algorithm on a given CPU; a disposable guest whose kernel is the
 * distribution's, on a CPU the host already runs, gains little from them at every boot. FIPS mode, which
 * requires them, is not something banger's guests run in.
 */
public record KernelArgs(BootStyle boot, Verbosity verbosity, OptionalLong tcgTscKhz) {
    /** 100 MHz to 10 GHz: anything outside is a misread, not a CPU. */
    static final long MIN_TSC_KHZ = 100_000;
    static final long MAX_TSC_KHZ = 10_000_000;
    /** The kernel's crypto self-tests skipped (see the class comment). */
    static final String NO_CRYPTO_SELF_TESTS = "cryptomgr.notests";

    /** Which init the initramfs hands over to. */
    public enum BootStyle {
        /** banger's fast boot: busybox init and a short script (the default). */
        FAST("/sbin/banger-init"),
        /** The image's systemd, for software that needs it. */
        SYSTEMD("/lib/systemd/systemd");

        private final String init;

        BootStyle(String init) {
            this.init = init;
        }

        public String init() {
            return init;
        }

        /** Parses a configuration value: "fast" or "systemd". */
        public static BootStyle parse(String text) {
            if (text == null) {
                return FAST;
            }
            return switch (text.strip().toLowerCase(Locale.ROOT)) {
                case "fast" -> FAST;
                case "systemd" -> SYSTEMD;
                default -> throw BangerException.invalid("boot style '" + Accelerator.printable(text)
                        + "' is unknown: use \"fast\" (banger's init, the default) or \"systemd\"");
            };
        }
    }

    /** How much the kernel writes to the console file. */
    public enum Verbosity {
        /** Every kernel message ({@code kernel_log = "full"}): slower under TCG, more to read when a boot fails. */
        NORMAL,
        /** {@code quiet}: warnings and worse only (the configured default). */
        QUIET;

        /** The configuration setting: {@code "quiet"} or {@code "full"}. */
        public static Verbosity parse(String text) {
            return switch (text.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "quiet" -> QUIET;
                case "full" -> NORMAL;
                default -> throw BangerException.invalid("'" + dev.banger.core.Text.printable(text, 40)
                        + "' is not a kernel log level: use \"quiet\" (warnings and errors) or \"full\" (every message)");
            };
        }
    }

    public KernelArgs {
        if (boot == null || verbosity == null || tcgTscKhz == null) {
            throw new IllegalArgumentException("boot, verbosity and tcgTscKhz must be given (use OptionalLong.empty())");
        }
        if (tcgTscKhz.isPresent() && (tcgTscKhz.getAsLong() < MIN_TSC_KHZ || tcgTscKhz.getAsLong() > MAX_TSC_KHZ)) {
            throw BangerException.invalid("TSC rate " + tcgTscKhz.getAsLong() + " kHz is implausible (expected "
                    + MIN_TSC_KHZ + " to " + MAX_TSC_KHZ + " kHz)");
        }
    }

    /** The fast boot, full console messages, no TSC hint. */
    public static KernelArgs defaults() {
        return new KernelArgs(BootStyle.FAST, Verbosity.NORMAL, OptionalLong.empty());
    }

    public KernelArgs withBoot(BootStyle style) {
        return new KernelArgs(style, verbosity, tcgTscKhz);
    }

    public KernelArgs withVerbosity(Verbosity v) {
        return new KernelArgs(boot, v, tcgTscKhz);
    }

    /**
     * Adds the TSC rate when the accelerator is TCG and the rate is known; under KVM it is dropped (the
     * kvm-clock tells the guest, and a stale figure would only be wrong).
     */
    public KernelArgs forAccelerator(String accel, OptionalLong hostTscKhz) {
        return new KernelArgs(boot, verbosity, Accelerator.TCG.equals(accel) ? hostTscKhz : OptionalLong.empty());
    }

    public List<String> words() {
        List<String> w = new ArrayList<>(List.of("console=ttyS0", "root=/dev/vda", "rw", "banger.init=" + boot.init(), "panic=-1", "reboot=t",
                NO_CRYPTO_SELF_TESTS));
        if (verbosity == Verbosity.QUIET) {
            w.add("quiet");
        }
        if (tcgTscKhz.isPresent()) {
            w.add("tsc_early_khz=" + tcgTscKhz.getAsLong());
            w.add("tsc=reliable");
        }
        return List.copyOf(w);
    }

    /** The text for QEMU's {@code -append}. */
    public String line() {
        return String.join(" ", words());
    }

    /**
     * The command line for Firecracker's boot-source. Firecracker has no TCG and no -no-reboot: it exits
     * when the guest resets the CPU, which {@code reboot=k} (the i8042 keyboard controller it emulates)
     * does, and {@code panic=1} turns a panic into such a reset. {@code pci=off}: it has no PCI bus; the
     * i8042 options skip probing what it does not emulate (no aux port, no mux, no PnP) and
     * {@code i8042.dumbkbd} takes the keyboard as is, so SendCtrlAltDel reaches init. {@code root=} is
     * kept though Firecracker adds it for the root drive: banger's initramfs reads it either way.
     */
    public String firecrackerLine() {
        List<String> w = new ArrayList<>(List.of("console=ttyS0", "root=/dev/vda", "rw", "banger.init=" + boot.init(), "panic=1",
                "reboot=k", "pci=off", "i8042.noaux", "i8042.nomux", "i8042.nopnp", "i8042.dumbkbd", NO_CRYPTO_SELF_TESTS));
        if (verbosity == Verbosity.QUIET) {
            w.add("quiet");
        }
        return String.join(" ", w);
    }

    /**
     * The host's TSC rate in kHz from /proc/cpuinfo, when it can be trusted to be the rate the guest will
     * see under TCG; empty otherwise. Trusted only on a virtual host ({@code hypervisor} flag) with a
     * constant TSC ({@code constant_tsc}) and no APERF/MPERF ({@code aperfmperf}): there "cpu MHz" is the
     * TSC rate the hypervisor announced. On bare metal, or where APERF/MPERF is exposed, "cpu MHz" is the
     * current core clock and varies, so no hint is given (and bare-metal hosts calibrate against the PIT
     * quickly enough not to need one).
     */
    public static OptionalLong hostTscKhz(String cpuinfo) {
        String flags = null;
        String mhz = null;
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).strip();
            if (flags == null && key.equals("flags")) {
                flags = " " + line.substring(colon + 1).strip().replaceAll("\\s+", " ") + " ";
            } else if (mhz == null && key.equals("cpu MHz")) {
                mhz = line.substring(colon + 1).strip();
            }
        }
        if (flags == null || mhz == null || !flags.contains(" hypervisor ") || !flags.contains(" constant_tsc ")
                || flags.contains(" aperfmperf ")) {
            return OptionalLong.empty();
        }
        if (!mhz.matches("[0-9]{1,6}(\\.[0-9]{1,6})?")) {
            return OptionalLong.empty();
        }
        long khz = new java.math.BigDecimal(mhz).movePointRight(3).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
        return khz >= MIN_TSC_KHZ && khz <= MAX_TSC_KHZ ? OptionalLong.of(khz) : OptionalLong.empty();
    }
}
