package dev.banger.api;

import java.util.List;

/** Every RPC method bangerd serves, with its parameter and result types (documented in docs/API.md). */
public final class Rpcs {
    public static final Rpc<Params.VmCreate, VmRecord> VM_CREATE = new Rpc<>("vm.create", Params.VmCreate.class, VmRecord.class);
    public static final Rpc<Void, Params.VmList> VM_LIST = new Rpc<>("vm.list", Void.class, Params.VmList.class);
    public static final Rpc<Params.VmRef, VmRecord> VM_GET = new Rpc<>("vm.get", Params.VmRef.class, VmRecord.class);
    public static final Rpc<Params.VmPublish, VmRecord> VM_PUBLISH = new Rpc<>("vm.publish", Params.VmPublish.class, VmRecord.class);
    public static final Rpc<Params.VmPublish, VmRecord> VM_UNPUBLISH = new Rpc<>("vm.unpublish", Params.VmPublish.class, VmRecord.class);
    public static final Rpc<Params.VmDelete, Params.Deleted> VM_DELETE = new Rpc<>("vm.delete", Params.VmDelete.class, Params.Deleted.class);
    /** Long: sends {@link #PROGRESS} notifications before its response. */
    public static final Rpc<Params.VmRef, VmRecord> VM_START = new Rpc<>("vm.start", Params.VmRef.class, VmRecord.class);
    public static final Rpc<Params.VmStop, VmRecord> VM_STOP = new Rpc<>("vm.stop", Params.VmStop.class, VmRecord.class);
    public static final Rpc<Params.VmRef, Params.VmPorts> VM_PORTS = new Rpc<>("vm.ports", Params.VmRef.class, Params.VmPorts.class);
    /** Continues on its connection after the response: the exec records of docs/API.md. */
    public static final Rpc<Params.VmExec, Params.Conversation> VM_EXEC = new Rpc<>("vm.exec", Params.VmExec.class, Params.Conversation.class);
    public static final Rpc<Params.VmExecDetach, Params.ExecStarted> VM_EXEC_DETACH =
            new Rpc<>("vm.exec_detach", Params.VmExecDetach.class, Params.ExecStarted.class);
    public static final Rpc<Params.VmRef, Params.ExecProcesses> VM_EXEC_LIST =
            new Rpc<>("vm.exec_list", Params.VmRef.class, Params.ExecProcesses.class);
    public static final Rpc<Params.VmExecSignal, Params.ExecSignalled> VM_EXEC_SIGNAL =
            new Rpc<>("vm.exec_signal", Params.VmExecSignal.class, Params.ExecSignalled.class);
    /** Continues on its connection after the response, as {@link #VM_EXEC} does. */
    public static final Rpc<Params.VmExecAttach, Params.Conversation> VM_EXEC_ATTACH =
            new Rpc<>("vm.exec_attach", Params.VmExecAttach.class, Params.Conversation.class);
    /** A VM's durable task (docs/API.md "vm.task_*"): started detached, its exit kept by bangerd in SQLite. */
    public static final Rpc<Params.VmTaskStart, Params.TaskStatus> VM_TASK_START =
            new Rpc<>("vm.task_start", Params.VmTaskStart.class, Params.TaskStatus.class);
    public static final Rpc<Params.VmTaskRef, Params.TaskStatus> VM_TASK_STATUS =
            new Rpc<>("vm.task_status", Params.VmTaskRef.class, Params.TaskStatus.class);
    /** Blocks until the task has ended or the timeout passed. */
    public static final Rpc<Params.VmTaskWait, Params.TaskStatus> VM_TASK_WAIT =
            new Rpc<>("vm.task_wait", Params.VmTaskWait.class, Params.TaskStatus.class);
    public static final Rpc<Params.VmTaskSignal, Params.ExecSignalled> VM_TASK_SIGNAL =
            new Rpc<>("vm.task_signal", Params.VmTaskSignal.class, Params.ExecSignalled.class);
    /** Continues on its connection after the response: the task's output and exit as records (docs/API.md). */
    public static final Rpc<Params.VmTaskAttach, Params.Conversation> VM_TASK_ATTACH =
            new Rpc<>("vm.task_attach", Params.VmTaskAttach.class, Params.Conversation.class);
    /** Blocks for the sample's interval (at most 5 s). */
    public static final Rpc<Params.VmUsage, Params.VmUsageSample> VM_USAGE =
            new Rpc<>("vm.usage", Params.VmUsage.class, Params.VmUsageSample.class);
    /** Continues on its connection after the response: a copy's archive and status lines (docs/API.md). */
    public static final Rpc<Params.VmCp, Params.Conversation> VM_CP = new Rpc<>("vm.cp", Params.VmCp.class, Params.Conversation.class);
    /** Pauses the VM briefly; answers with the snapshot made. */
    public static final Rpc<Params.VmSnapshot, SnapshotRecord> VM_SNAPSHOT =
            new Rpc<>("vm.snapshot", Params.VmSnapshot.class, SnapshotRecord.class);
    /** Long: sends {@link #PROGRESS} notifications before its response. */
    public static final Rpc<Params.VmFork, Params.VmForked> VM_FORK = new Rpc<>("vm.fork", Params.VmFork.class, Params.VmForked.class);
    public static final Rpc<Void, Params.SnapshotList> SNAPSHOT_LIST = new Rpc<>("snapshot.list", Void.class, Params.SnapshotList.class);
    public static final Rpc<Params.SnapshotRef, SnapshotRecord> SNAPSHOT_GET =
            new Rpc<>("snapshot.get", Params.SnapshotRef.class, SnapshotRecord.class);
    public static final Rpc<Params.SnapshotRef, Params.SnapshotDeleted> SNAPSHOT_DELETE =
            new Rpc<>("snapshot.delete", Params.SnapshotRef.class, Params.SnapshotDeleted.class);
    /** Long: boots a template VM and snapshots it. */
    public static final Rpc<Params.ImageWarm, SnapshotRecord> IMAGE_WARM = new Rpc<>("image.warm", Params.ImageWarm.class, SnapshotRecord.class);
    /** Long: sends {@link #PROGRESS} notifications before its response. */
    public static final Rpc<Params.ImageBuild, Params.ImageInfo> IMAGE_BUILD =
            new Rpc<>("image.build", Params.ImageBuild.class, Params.ImageInfo.class);
    public static final Rpc<Void, Params.ImageList> IMAGE_LIST = new Rpc<>("image.list", Void.class, Params.ImageList.class);
    public static final Rpc<Params.ImageRef, Params.ImageInfo> IMAGE_GET = new Rpc<>("image.get", Params.ImageRef.class, Params.ImageInfo.class);
    public static final Rpc<Params.ImageRef, Params.ImageDeleted> IMAGE_DELETE =
            new Rpc<>("image.delete", Params.ImageRef.class, Params.ImageDeleted.class);
    /** Long: reads the caller's files with the caller's rights. */
    public static final Rpc<Params.ImageImport, Params.ImageInfo> IMAGE_IMPORT =
            new Rpc<>("image.import", Params.ImageImport.class, Params.ImageInfo.class);
    public static final Rpc<Params.ImageRef, Params.ImageVerification> IMAGE_VERIFY =
            new Rpc<>("image.verify", Params.ImageRef.class, Params.ImageVerification.class);
    public static final Rpc<Void, Params.DaemonStatus> DAEMON_STATUS = new Rpc<>("daemon.status", Void.class, Params.DaemonStatus.class);
    public static final Rpc<Void, Params.ShutdownAccepted> DAEMON_SHUTDOWN =
            new Rpc<>("daemon.shutdown", Void.class, Params.ShutdownAccepted.class);
    public static final Rpc<Void, Params.TornDown> DAEMON_TEARDOWN = new Rpc<>("daemon.teardown", Void.class, Params.TornDown.class);

    /** Makes an E2B API key; the answer is the only time the key is shown. */
    public static final Rpc<Params.E2bKeyCreate, Params.E2bKeyCreated> E2B_KEY_CREATE =
            new Rpc<>("e2b.key_create", Params.E2bKeyCreate.class, Params.E2bKeyCreated.class);
    public static final Rpc<Void, Params.E2bKeyList> E2B_KEY_LIST = new Rpc<>("e2b.key_list", Void.class, Params.E2bKeyList.class);
    public static final Rpc<Params.E2bKeyRef, Params.E2bKeyInfo> E2B_KEY_REVOKE =
            new Rpc<>("e2b.key_revoke", Params.E2bKeyRef.class, Params.E2bKeyInfo.class);
    /** All of the above: the daemon must serve each one, and nothing else. */
    public static final List<Rpc<?, ?>> ALL = List.of(VM_CREATE, VM_LIST, VM_GET, VM_PUBLISH, VM_UNPUBLISH, VM_DELETE, VM_START, VM_STOP, VM_PORTS, VM_EXEC, VM_CP,
            VM_EXEC_DETACH, VM_EXEC_LIST, VM_EXEC_SIGNAL, VM_EXEC_ATTACH,
            VM_TASK_START, VM_TASK_STATUS, VM_TASK_WAIT, VM_TASK_SIGNAL, VM_TASK_ATTACH, VM_USAGE, VM_SNAPSHOT, VM_FORK, SNAPSHOT_LIST, SNAPSHOT_GET,
            SNAPSHOT_DELETE, IMAGE_WARM,
            IMAGE_BUILD, IMAGE_LIST, IMAGE_GET, IMAGE_DELETE, IMAGE_IMPORT, IMAGE_VERIFY,
            DAEMON_STATUS, DAEMON_SHUTDOWN, DAEMON_TEARDOWN, E2B_KEY_CREATE, E2B_KEY_LIST, E2B_KEY_REVOKE);

    /**
     * Not a method but the notification ({@code "method": "progress"}, params {@link Params.Progress}) a long
     * call sends on its connection before its response.
     */
    public static final String PROGRESS = "progress";

    private Rpcs() {
    }
}
