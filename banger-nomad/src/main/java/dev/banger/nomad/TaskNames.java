package dev.banger.nomad;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A Nomad task's VM name, derived from its task id alone. Most Driver RPCs name a task only by its id (WaitTask,
 * StopTask, SignalTask, ...), so the driver finds the VM from the id each time instead of keeping a table: after a
 * restart of the plugin nothing is lost because nothing was kept.
 *
 * <p>Nomad's task id is {@code ALLOC_ID/TASK_NAME/RANDOM}, unique per start of a task. The name is
 * {@code nomad-TASK-HASH}: TASK the task's name as a DNS label's characters (for a person reading {@code banger vm
 * list}), HASH 16 hex digits of SHA-256 of the whole id (what makes it unique). It always satisfies banger's VM name
 * rule (1-63 of {@code a-z 0-9 -}, no dash at either end, never 12 hex digits).
 */
final class TaskNames {
    static final String PREFIX = "nomad-";
    private static final int TASK_CHARS = 30;
    private static final int HASH_HEX = 16;

    /** The shape of every name {@link #vmName} gives, and (short of a collision of 64 bits) of no other. */
    private static final java.util.regex.Pattern TASK_VM = java.util.regex.Pattern.compile(
            "nomad-([a-z0-9]([a-z0-9-]{0,28}[a-z0-9])?-)?[0-9a-f]{16}");

    private TaskNames() {
    }

    /** Whether {@code name} has the shape of a task's VM name (a VM a person named otherwise never has it). */
    static boolean isTaskVm(String name) {
        return TASK_VM.matcher(name).matches();
    }

    /** The VM name of the task {@code taskId}. */
    static String vmName(String taskId) {
        if (taskId == null || taskId.isEmpty()) {
            throw new IllegalArgumentException("the task has no id");
        }
        String label = label(nameFromId(taskId));
        return PREFIX + (label.isEmpty() ? "" : label + "-") + hash(taskId);
    }

    /** The TASK_NAME part of an id {@code ALLOC/TASK/RANDOM}, or the whole id when it has another shape. */
    static String nameFromId(String taskId) {
        String[] parts = taskId.split("/", -1);
        return parts.length == 3 ? parts[1] : taskId;
    }

    /** Lower case; every run of other characters one dash; no dash at either end; at most 30 characters. */
    static String label(String name) {
        StringBuilder b = new StringBuilder();
        for (char c : name.toLowerCase(Locale.ROOT).toCharArray()) {
            boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            if (ok) {
                b.append(c);
            } else if (!b.isEmpty() && b.charAt(b.length() - 1) != '-') {
                b.append('-');
            }
            if (b.length() >= TASK_CHARS) {
                break;
            }
        }
        while (!b.isEmpty() && b.charAt(b.length() - 1) == '-') {
            b.setLength(b.length() - 1);
        }
        return b.toString();
    }

    private static String hash(String taskId) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(taskId.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, HASH_HEX);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
