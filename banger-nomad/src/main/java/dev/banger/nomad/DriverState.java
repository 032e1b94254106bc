package dev.banger.nomad;

import dev.banger.api.ClientJson;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * What a TaskHandle's {@code driver_state} carries: the VM's id and name and the bangerd task's name. Nomad keeps the
 * handle in its client state and hands it back in RecoverTask; the driver keeps nothing else. JSON, so a person
 * reading Nomad's state can read it; {@code version} lets a later driver read an older handle. Written and read with
 * banger-api's {@link ClientJson} (jackson-jr, as the plugin's bangerd client): the same JSON as jackson-databind's,
 * without loading databind's ~550 classes into a plugin whose resident memory is a target.
 *
 * @param vmId the VM's id (12 hex digits): RecoverTask checks that the VM of that name is still this one
 * @param vmName the VM's name ({@link TaskNames#vmName})
 * @param task the name of the VM's task in bangerd (vm.task_*)
 */
record DriverState(int version, String vmId, String vmName, String task) {
    static final int VERSION = 1;
    static final String TASK = "main";
    private static final int MAX_BYTES = 4096;
    private static final Pattern VM_ID = Pattern.compile("[0-9a-f]{12}");
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern TASK_NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");

    DriverState {
        if (version != VERSION) {
            throw new IllegalArgumentException("driver_state version " + version + " is not one this driver reads ("
                    + VERSION + ")");
        }
        check("vm_id", vmId, VM_ID);
        check("vm_name", vmName, NAME);
        check("task", task, TASK_NAME);
    }

    static DriverState of(String vmId, String vmName) {
        return new DriverState(VERSION, vmId, vmName, TASK);
    }

    byte[] encode() {
        return ClientJson.line(this).getBytes(StandardCharsets.UTF_8);
    }

    /** The state of a handle; IllegalArgumentException, saying what is wrong, for anything else. */
    static DriverState decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new IllegalArgumentException("the task handle has no driver_state (not a handle of the banger driver)");
        }
        if (bytes.length > MAX_BYTES) {
            throw new IllegalArgumentException("the task handle's driver_state is " + bytes.length + " bytes, more than "
                    + MAX_BYTES + ": not the banger driver's");
        }
        try {
            DriverState s = ClientJson.read(new String(bytes, StandardCharsets.UTF_8), DriverState.class);
            if (s == null) {
                throw new IllegalArgumentException("null");
            }
            return s;
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("the task handle's driver_state is not the banger driver's: "
                    + dev.banger.core.Text.printable(new String(bytes, StandardCharsets.UTF_8), 200), e);
        }
    }

    private static void check(String field, String value, Pattern rule) {
        if (value == null || !rule.matcher(value).matches()) {
            throw new IllegalArgumentException("driver_state." + field + " is missing or malformed: " + value);
        }
    }
}
