package dev.banger.daemon.vm;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/** One lock per VM id: operations on one VM run one at a time; different VMs do not wait for each other. */
public final class VmLocks {
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    public <T> T with(String vmId, Supplier<T> work) {
        ReentrantLock lock = locks.computeIfAbsent(vmId, k -> new ReentrantLock());
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }
}
