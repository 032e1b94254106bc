package dev.banger.core.image;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Orders kernel modules for loading with a plain {@code insmod} (the initramfs has no modprobe): every
 * module after the modules it depends on. depmod writes each line of modules.dep as the module and then
 * its whole dependency closure in reverse load order (the last one listed loads first; e.g.
 * {@code net_failover.ko: failover.ko}), which is how modprobe reads it and how this class does.
 */
public final class ModuleOrder {
    private ModuleOrder() {
    }

    /** modules.dep: {@code kernel/path/a.ko: kernel/path/b.ko kernel/path/c.ko} per line. */
    public static Map<String, List<String>> parse(String modulesDep) {
        Map<String, List<String>> deps = new HashMap<>();
        for (String line : modulesDep.split("\\n")) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String module = line.substring(0, colon).trim();
            String rest = line.substring(colon + 1).trim();
            deps.put(module, rest.isEmpty() ? List.of() : List.of(rest.split("\\s+")));
        }
        return deps;
    }

    /** The module's name as insmod and lsmod know it: file name without .ko(.xz|.zst|.gz), '-' as '_'. */
    public static String name(String path) {
        String file = path.substring(path.lastIndexOf('/') + 1);
        int ko = file.indexOf(".ko");
        return (ko >= 0 ? file.substring(0, ko) : file).replace('-', '_');
    }

    /**
     * Paths of {@code wanted} modules and all their dependencies, dependencies first. Modules built into
     * the kernel (listed in {@code builtin}, e.g. from modules.builtin) need no loading and are skipped.
     */
    public static List<String> loadOrder(Map<String, List<String>> deps, List<String> wanted, Set<String> builtin) {
        Map<String, String> byName = new HashMap<>();
        for (String path : deps.keySet()) {
            byName.put(name(path), path);
        }
        LinkedHashSet<String> ordered = new LinkedHashSet<>();
        for (String w : wanted) {
            String n = name(w);
            if (builtin.contains(n)) {
                continue;
            }
            String path = byName.get(n);
            if (path == null) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, "kernel module '" + w
                        + "' is neither in modules.dep nor built in: this kernel cannot boot a banger VM");
            }
            visit(path, deps, ordered, new LinkedHashSet<>());
        }
        return new ArrayList<>(ordered);
    }

    private static void visit(String path, Map<String, List<String>> deps, Set<String> done, Set<String> inProgress) {
        if (done.contains(path)) {
            return;
        }
        if (!inProgress.add(path)) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "modules.dep has a dependency cycle through " + path);
        }
        List<String> ds = deps.getOrDefault(path, List.of());
        for (int i = ds.size() - 1; i >= 0; i--) {
            visit(ds.get(i), deps, done, inProgress);
        }
        inProgress.remove(path);
        done.add(path);
    }

    /** modules.builtin: one path per line; returns the module names. */
    public static Set<String> parseBuiltin(String modulesBuiltin) {
        Set<String> out = new java.util.HashSet<>();
        for (String line : modulesBuiltin.split("\\n")) {
            if (!line.isBlank()) {
                out.add(name(line.trim()));
            }
        }
        return out;
    }
}
