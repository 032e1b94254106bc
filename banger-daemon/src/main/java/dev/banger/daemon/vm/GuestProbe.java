package dev.banger.daemon.vm;

import dev.banger.api.VmRecord;
import dev.banger.host.guest.SshProbe;
import java.time.Duration;

/**
 * Whether a booting guest is ready: its sshd answers with a banner on the guest's address. One probe is
 * short (the guest is untrusted and may not be up yet); the start polls it. Tests give a fake.
 */
@FunctionalInterface
public interface GuestProbe {
    boolean ready(VmRecord vm);

    /** The real probe: connects time out after 250 ms (before the guest's network is up they would hang); the banner may take 5 s. */
    GuestProbe SSH = vm -> SshProbe.answers(vm.runtime().guestIp(), Duration.ofMillis(250), Duration.ofSeconds(5));
}
