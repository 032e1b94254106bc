package dev.banger.host.net;

/**
 * Kernel settings by their sysctl key ({@code net.ipv4.ip_forward}). Behind an interface because the
 * network settings belong to the network namespace of whoever reads them: production reads its own
 * ({@link ProcSysctls}), a test reads those of its namespace.
 */
public interface Sysctls {
    String read(String key);

    void write(String key, String value);
}
