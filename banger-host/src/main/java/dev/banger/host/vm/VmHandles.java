package dev.banger.host.vm;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.banger.api.Json;
import dev.banger.core.VmIds;
import dev.banger.core.net.InterfaceNames;
import java.util.regex.Pattern;

/**
 * What is true of a VM at the kernel and process level right now: the VMM's pid, its tap, and (for
 * Firecracker's copy-on-write) the base and COW loop devices and the dm-snapshot target. Transient by
 * nature: never stored in SQLite, only in the VM directory's {@code handles.json} scratch file (so a
 * restarted daemon can tear down what a dead VMM left) and in the daemon's cache. Absent handles are
 * null (pid 0).
 *
 * <p>Every field is checked when read back, since teardown acts on them: a tap must be the VM's own
 * ({@code bgr<id>}), loops {@code /dev/loopN}, the dm name banger's for this VM. A file that names
 * anything else is rejected as corrupt rather than obeyed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VmHandles(long vmmPid, String tap, String baseLoop, String cowLoop, String dmName, String dmDevice, String agent) {
    /** How this boot's guest agent is reached: over TCP on the guest's address, or over vsock. */
    public static final String AGENT_TCP = "tcp";
    public static final String AGENT_VSOCK = "vsock";

    private static final Pattern LOOP = Pattern.compile("/dev/loop[0-9]{1,6}");
    private static final Pattern DM_DEVICE = Pattern.compile("/dev/(mapper/[a-z0-9-]{1,64}|dm-[0-9]{1,6})");
    /** The largest pid Linux hands out (PID_MAX_LIMIT on 64-bit). */
    private static final long PID_MAX = 4_194_304;

    public static final VmHandles NONE = new VmHandles(0, null, null, null, null, null, null);

    public boolean hasProcess() {
        return vmmPid > 0;
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isEmpty() {
        return equals(NONE);
    }

    public VmHandles withPid(long pid) {
        return new VmHandles(pid, tap, baseLoop, cowLoop, dmName, dmDevice, agent);
    }

    public VmHandles withTap(String t) {
        return new VmHandles(vmmPid, t, baseLoop, cowLoop, dmName, dmDevice, agent);
    }

    /** The copy-on-write root's pieces (each null when absent): loops over base and COW file, the dm target. */
    public VmHandles withRootDevices(String base, String cow, String dm, String device) {
        return new VmHandles(vmmPid, tap, base, cow, dm, device, agent);
    }

    public VmHandles withAgent(String transport) {
        return new VmHandles(vmmPid, tap, baseLoop, cowLoop, dmName, dmDevice, transport);
    }

    public String toJson() {
        return Json.line(this) + "\n";
    }

    /**
     * Reads a scratch file's text for VM {@code vmId}, checking every field against what banger would
     * have written for that VM.
     *
     * @throws IllegalArgumentException when the text is not such a file (the caller logs it and treats
     *     the VM as having no handles)
     */
    public static VmHandles parse(String json, String vmId) {
        if (!VmIds.looksLikeId(vmId)) {
            throw new IllegalArgumentException("not a VM id: " + vmId);
        }
        VmHandles h;
        try {
            h = Json.MAPPER.readValue(json, VmHandles.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a handles file: " + e.getOriginalMessage());
        }
        if (h == null) {
            throw new IllegalArgumentException("not a handles file: empty");
        }
        if (h.vmmPid < 0 || h.vmmPid > PID_MAX) {
            throw new IllegalArgumentException("vmm_pid " + h.vmmPid + " is not a pid");
        }
        if (h.tap != null && !h.tap.equals(InterfaceNames.tapFor(vmId))) {
            throw new IllegalArgumentException("tap '" + dev.banger.core.Text.printable(h.tap, 20) + "' is not this VM's ("
                    + InterfaceNames.tapFor(vmId) + ")");
        }
        for (String loop : new String[] {h.baseLoop, h.cowLoop}) {
            if (loop != null && !LOOP.matcher(loop).matches()) {
                throw new IllegalArgumentException("'" + dev.banger.core.Text.printable(loop, 30) + "' is not a loop device");
            }
        }
        if (h.dmName != null && !h.dmName.equals(dev.banger.host.disk.DmSnapshot.nameFor(vmId))) {
            throw new IllegalArgumentException("dm name '" + dev.banger.core.Text.printable(h.dmName, 40) + "' is not this VM's");
        }
        if (h.agent != null && !h.agent.equals(AGENT_TCP) && !h.agent.equals(AGENT_VSOCK)) {
            throw new IllegalArgumentException("agent transport '" + dev.banger.core.Text.printable(h.agent, 20) + "' is unknown");
        }
        if (h.dmDevice != null && !DM_DEVICE.matcher(h.dmDevice).matches()) {
            throw new IllegalArgumentException("'" + dev.banger.core.Text.printable(h.dmDevice, 40) + "' is not a device-mapper device");
        }
        return h;
    }
}
