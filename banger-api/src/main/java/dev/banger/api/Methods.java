package dev.banger.api;

/** The RPC method names, documented in docs/API.md. */
public final class Methods {
    public static final String VM_CREATE = "vm.create";
    public static final String VM_LIST = "vm.list";
    public static final String VM_GET = "vm.get";
    public static final String VM_DELETE = "vm.delete";
    public static final String VM_START = "vm.start";
    public static final String VM_STOP = "vm.stop";
    public static final String VM_PORTS = "vm.ports";
    public static final String IMAGE_BUILD = "image.build";
    public static final String IMAGE_LIST = "image.list";
    public static final String IMAGE_GET = "image.get";
    public static final String IMAGE_DELETE = "image.delete";
    public static final String IMAGE_IMPORT = "image.import";
    public static final String IMAGE_VERIFY = "image.verify";
    /** The notification a long call sends before its response. */
    public static final String PROGRESS = "progress";
    public static final String DAEMON_STATUS = "daemon.status";
    public static final String DAEMON_SHUTDOWN = "daemon.shutdown";
    public static final String DAEMON_TEARDOWN = "daemon.teardown";

    private Methods() {
    }
}
