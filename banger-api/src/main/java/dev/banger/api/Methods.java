package dev.banger.api;

/** The RPC method names, documented in docs/API.md. */
public final class Methods {
    public static final String VM_CREATE = "vm.create";
    public static final String VM_LIST = "vm.list";
    public static final String VM_GET = "vm.get";
    public static final String VM_DELETE = "vm.delete";
    public static final String DAEMON_STATUS = "daemon.status";
    public static final String DAEMON_SHUTDOWN = "daemon.shutdown";

    private Methods() {
    }
}
