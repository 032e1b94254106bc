package dev.banger.nomad;

import com.google.protobuf.ByteString;
import dev.banger.api.BangerException;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.core.Text;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskStreamingIOOperation;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskStreamingRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskStreamingResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExitResult;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.function.Function;

/**
 * ExecTaskStreaming ({@code nomad alloc exec}): one vm.exec conversation per call. The first message is the setup
 * (task, argv, tty); then Nomad's stdin, stdin close and terminal sizes go to the command as STDIN, STDIN_EOF and
 * RESIZE records, and its STDOUT, STDERR and EXIT come back as responses; a cancelled call closes the connection,
 * which hangs the command up.
 */
final class ExecStream implements StreamObserver<ExecTaskStreamingRequest> {
    private static final int DEFAULT_ROWS = 24;
    private static final int DEFAULT_COLS = 80;

    private final Bangerd bangerd;
    /** The VM of a task id, or a BangerException (NOT_FOUND) when the task has none. */
    private final Function<String, String> vmOfTask;
    private final StreamObserver<ExecTaskStreamingResponse> responses;
    private volatile Bangerd.Conversation<Params.Conversation> conversation;
    private volatile boolean finished;

    ExecStream(Bangerd bangerd, Function<String, String> vmOfTask, StreamObserver<ExecTaskStreamingResponse> responses) {
        this.bangerd = bangerd;
        this.vmOfTask = vmOfTask;
        this.responses = responses;
    }

    @Override
    public void onNext(ExecTaskStreamingRequest request) {
        if (finished) {
            return;
        }
        Bangerd.Conversation<Params.Conversation> c = conversation;
        if (c == null) {
            if (!request.hasSetup()) {
                fail(Status.INVALID_ARGUMENT.withDescription("the first message of ExecTaskStreaming must be its setup"));
                return;
            }
            open(request);
            return;
        }
        try {
            synchronized (c.out()) {
                if (request.hasTtySize()) {
                    int rows = Math.clamp(request.getTtySize().getHeight(), 1, 10_000);
                    int cols = Math.clamp(request.getTtySize().getWidth(), 1, 10_000);
                    Records.write(c.out(), Exec.RESIZE, Exec.resize(rows, cols));
                }
                if (request.hasStdin()) {
                    byte[] data = request.getStdin().getData().toByteArray();
                    for (int off = 0; off < data.length; off += Records.MAX_PAYLOAD) {
                        Records.write(c.out(), Exec.STDIN, data, off, Math.min(Records.MAX_PAYLOAD, data.length - off));
                    }
                    if (request.getStdin().getClose()) {
                        Records.write(c.out(), Exec.STDIN_EOF, new byte[0]);
                    }
                }
                c.out().flush();
            }
        } catch (IOException e) {
            // the command has exited and the connection is closing: its EXIT is on its way
        }
    }

    private void open(ExecTaskStreamingRequest request) {
        ExecTaskStreamingRequest.Setup setup = request.getSetup();
        if (setup.getCommandCount() == 0) {
            fail(Status.INVALID_ARGUMENT.withDescription("the command to exec is empty: give the program and its arguments"));
            return;
        }
        try {
            String vm = vmOfTask.apply(setup.getTaskId());
            boolean tty = setup.getTty();
            Params.VmExec p = new Params.VmExec(vm, setup.getCommandList(), null, null, null, tty,
                    tty ? DEFAULT_ROWS : null, tty ? DEFAULT_COLS : null, true, false, null);
            Bangerd.Conversation<Params.Conversation> c = bangerd.converse(Rpcs.VM_EXEC, p);
            conversation = c;
            Thread.ofPlatform().daemon().name("exec-stream-" + vm).start(() -> pump(c));
        } catch (BangerException e) {
            fail(Errors.status(e));
        }
    }

    /** The command's records to Nomad, until its exit. */
    private void pump(Bangerd.Conversation<Params.Conversation> c) {
        try (c) {
            while (true) {
                Records.Record r = Records.read(c.in());
                if (r == null) {
                    fail(Status.UNAVAILABLE.withDescription("the connection to bangerd ended before the command's exit"));
                    return;
                }
                switch (r.type()) {
                    case Exec.STDOUT -> send(ExecTaskStreamingResponse.newBuilder().setStdout(data(r.payload())).build());
                    case Exec.STDERR -> send(ExecTaskStreamingResponse.newBuilder().setStderr(data(r.payload())).build());
                    case Exec.EXIT -> {
                        // As Nomad's executors answer an exec stream (cmdExitResult): 128+N for signal N, no signal field.
                        send(ExecTaskStreamingResponse.newBuilder().setExited(true)
                                .setResult(ExitResult.newBuilder().setExitCode(Exec.Exit.read(r.payload()).status())).build());
                        complete();
                        return;
                    }
                    case Exec.ERROR -> {
                        fail(Status.FAILED_PRECONDITION.withDescription("cannot run the command: "
                                + Text.printable(r.text(), 500)));
                        return;
                    }
                    default -> {
                        // STARTED, NOTICE, or a newer record
                    }
                }
            }
        } catch (IOException e) {
            fail(Status.UNAVAILABLE.withDescription("lost the command's output: " + e.getMessage()));
        }
    }

    private static ExecTaskStreamingIOOperation data(byte[] bytes) {
        return ExecTaskStreamingIOOperation.newBuilder().setData(ByteString.copyFrom(bytes)).build();
    }

    private synchronized void send(ExecTaskStreamingResponse r) {
        if (!finished) {
            responses.onNext(r);
        }
    }

    private synchronized void complete() {
        if (!finished) {
            finished = true;
            responses.onCompleted();
        }
    }

    private synchronized void fail(Status s) {
        if (!finished) {
            finished = true;
            responses.onError(s.asRuntimeException());
        }
        closeConversation();
    }

    private void closeConversation() {
        Bangerd.Conversation<Params.Conversation> c = conversation;
        if (c != null) {
            c.close();
        }
    }

    @Override
    public void onError(Throwable t) {
        // Nomad went away (the user's terminal closed): hang the command up
        finished = true;
        closeConversation();
    }

    @Override
    public void onCompleted() {
        // Nomad has no more input; the command runs on to its exit, which completes the call
    }
}
