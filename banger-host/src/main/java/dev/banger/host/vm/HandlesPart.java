package dev.banger.host.vm;

/**
 * A part of a VM's handles that one owner keeps: the root devices a driver attached, and later the pids of
 * the helpers a feature starts. Each owner says how its part is named in handles.json and checks what it
 * reads back for a VM, since teardown acts on it; {@link VmHandles} only carries it.
 *
 * @param <T> the part's record, (de)serialised with the wire mapper
 */
public interface HandlesPart<T> {
    /** Its key under "parts" in handles.json. */
    String key();

    Class<T> type();

    /** Throws IllegalArgumentException when {@code value} is not what banger would have written for VM {@code vmId}. */
    void check(T value, String vmId);
}
