package dev.banger.daemon.e2b;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.api.BangerException;
import dev.banger.daemon.agent.GuestFiles;
import java.io.IOException;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;

/**
 * envd's {@code filesystem.Filesystem} service translated into banger's agent protocol ({@link GuestFiles}), each call as
 * the request's guest user: Stat, MakeDir, Move, ListDir, Remove, and WatchDir as a stream (a start message, then one per
 * change). The polling watchers (CreateWatcher and its kin) are not served: the SDK watches with WatchDir.
 */
final class FilesystemRpc {
    private final GuestFiles files;
    private final ScheduledExecutorService timers;

    FilesystemRpc(GuestFiles files, ScheduledExecutorService timers) {
        this.files = files;
        this.timers = timers;
    }

    void call(String method, ConnectCall call, EnvdScope scope, int keepaliveSeconds, OptionalLong deadline) throws IOException {
        JsonNode m = call.message();
        String user = scope.user();
        switch (method) {
            case "Stat" -> call.reply(EnvdJson.entryResponse(files.stat(scope.vm(), user, path(m, "path", user))));
            case "MakeDir" -> call.reply(EnvdJson.entryResponse(files.mkdir(scope.vm(), user, path(m, "path", user))));
            case "Move" -> call.reply(EnvdJson.entryResponse(
                    files.move(scope.vm(), user, path(m, "source", user), path(m, "destination", user))));
            case "ListDir" -> {
                long depth = EnvdJson.uint32(m, "depth", 1);
                GuestFiles.Listing listing = files.list(scope.vm(), user, path(m, "path", user), (int) Math.max(1, Math.min(depth, 64)));
                ObjectNode r = EnvdJson.object();
                var entries = r.putArray("entries");
                listing.entries().forEach(e -> entries.add(EnvdJson.entry(e)));
                call.reply(r);
            }
            case "Remove" -> {
                files.remove(scope.vm(), user, path(m, "path", user));
                call.reply(EnvdJson.object());
            }
            case "WatchDir" -> watch(call, m, scope, keepaliveSeconds, deadline);
            case "CreateWatcher", "GetWatcherEvents", "RemoveWatcher" -> throw new EnvdError("unimplemented",
                    "filesystem.Filesystem/" + method + " is not served by banger; watch with WatchDir (files.watchDir)");
            default -> throw new EnvdError("unimplemented", "filesystem.Filesystem/" + method + " does not exist");
        }
    }

    private void watch(ConnectCall call, JsonNode m, EnvdScope scope, int keepaliveSeconds, OptionalLong deadline) throws IOException {
        String dir = path(m, "path", scope.user());
        boolean includeEntry = EnvdJson.bool(m, "includeEntry", false);
        ObjectNode keepalive = EnvdJson.object();
        keepalive.putObject("keepalive");
        try (GuestFiles.Watch watch = files.watch(scope.vm(), scope.user(), dir, EnvdJson.bool(m, "recursive", false));
             StreamGuard guard = new StreamGuard(timers, call, keepalive, keepaliveSeconds, deadline, atDeadline -> watch.close())) {
            ObjectNode start = EnvdJson.object();
            start.putObject("start");
            call.send(start);
            while (true) {
                GuestFiles.Event e;
                try {
                    e = watch.next();
                } catch (IOException ex) {
                    e = null;
                }
                if (e == null) {
                    // The watch ends when the directory goes, at the caller's deadline, or with the client.
                    if (!call.broken()) {
                        call.end(guard.deadlinePassed() ? new EnvdError("deadline_exceeded", "the watch's timeout passed") : null);
                    }
                    return;
                }
                String type = EnvdJson.eventType(e.type());
                if (type == null) {
                    continue;
                }
                ObjectNode event = EnvdJson.object();
                ObjectNode fs = event.putObject("filesystem");
                fs.put("name", e.name());
                fs.put("type", type);
                if (includeEntry && !type.equals("EVENT_TYPE_REMOVE") && !type.equals("EVENT_TYPE_RENAME")) {
                    try {
                        fs.set("entry", EnvdJson.entry(files.stat(scope.vm(), scope.user(), dir + "/" + e.name())));
                    } catch (BangerException gone) {
                        // Gone again already: the event is sent without its entry, as envd does.
                    }
                }
                call.send(event);
            }
        }
    }

    private static String path(JsonNode m, String field, String user) {
        return EnvdScope.path(EnvdJson.text(m, field), user);
    }
}
