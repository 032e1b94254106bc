package dev.banger.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.banger.api.BangerException;
import dev.banger.api.Json;
import dev.banger.api.VmRecord;
import dev.banger.api.VmRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a VM directory says about itself in its {@code vm.json}: the VM's record (spec and runtime facts)
 * and the identity of the home (the state database) that owns it. The database is the truth while it
 * exists; this file is what lets a lost one be rebuilt ({@code banger daemon recover}) and what tells a
 * daemon that a directory is not its own.
 *
 * @param format  the file's format version, {@link #FORMAT}
 * @param homeId  the owning database's identity (32 hex digits)
 * @param vm      the VM's record as the database held it when the file was written
 */
public record VmDescriptor(int format, String homeId, VmRecord vm) {
    public static final String FILE = "vm.json";
    public static final int FORMAT = 1;
    /** A real descriptor is about 1 KiB; anything much larger is not one. */
    public static final int MAX_BYTES = 64 * 1024;

    public static String encode(String homeId, VmRecord vm) {
        return Json.pretty(new VmDescriptor(FORMAT, homeId, vm)) + "\n";
    }

    /**
     * Parses and checks a descriptor read from {@code dir}, a directory directly inside {@code vmsDir}: the
     * format is known, the id is the directory's name, the name is a valid VM name, and every path the
     * record names lies inside that directory (a descriptor must never make the daemon touch anything
     * else). Throws with what is wrong.
     */
    public static VmDescriptor parse(String json, Path vmsDir, Path dir) {
        VmDescriptor d;
        try {
            d = Json.MAPPER.readValue(json, VmDescriptor.class);
        } catch (JsonProcessingException e) {
            throw BangerException.invalid("not a VM descriptor: " + e.getOriginalMessage());
        }
        List<String> problems = problems(d, vmsDir, dir);
        if (!problems.isEmpty()) {
            throw BangerException.invalid(String.join("; ", problems));
        }
        return d;
    }

    static List<String> problems(VmDescriptor d, Path vmsDir, Path dir) {
        List<String> out = new ArrayList<>();
        if (d == null || d.vm() == null || d.vm().spec() == null || d.vm().runtime() == null) {
            out.add("incomplete descriptor");
            return out;
        }
        if (d.format() != FORMAT) {
            out.add("format " + d.format() + " is not " + FORMAT + " (written by another banger version)");
        }
        if (d.homeId() == null || !d.homeId().matches("[0-9a-f]{32}")) {
            out.add("home id is not 32 hex digits");
        }
        String id = d.vm().id();
        Path expected = vmsDir.toAbsolutePath().normalize().resolve(dir.getFileName().toString());
        if (!VmIds.looksLikeId(id) || !id.equals(dir.getFileName().toString())) {
            out.add("id " + Text.printable(String.valueOf(id), 20) + " is not the directory's name " + dir.getFileName());
        }
        if (!VmNames.isValid(d.vm().name())) {
            out.add("name " + Text.printable(String.valueOf(d.vm().name()), 70) + " is not a valid VM name");
        }
        if (d.vm().state() == null) {
            out.add("no state");
        }
        VmRuntime r = d.vm().runtime();
        if (!expected.toString().equals(r.vmDir())) {
            out.add("its directory is recorded as " + Text.printable(String.valueOf(r.vmDir()), 200) + ", not " + expected);
        }
        for (String p : new String[] {r.apiSockPath(), r.vsockPath(), r.logPath(), r.metricsPath(), r.systemOverlay(), r.workDiskPath()}) {
            if (p == null || !inside(expected, p)) {
                out.add("path " + Text.printable(String.valueOf(p), 200) + " is not inside " + expected);
            }
        }
        return out;
    }

    private static boolean inside(Path dir, String path) {
        Path p = Path.of(path);
        return p.isAbsolute() && p.normalize().equals(p) && dir.equals(p.getParent());
    }
}
