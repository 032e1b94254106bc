package dev.banger.agent;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs file-system work with a guest user's rights, inside the agent: on a platform thread of its own whose
 * file-system ids ({@code setfsuid}, {@code setfsgid}, which Linux keeps per thread) are the user's for the
 * work's duration. The kernel then checks every path the work touches as that user, and clears root's
 * file capabilities (DAC override, chown, fowner) from the thread while its fsuid is not 0, so what the work
 * creates is the user's and what the user may not touch is refused (EACCES), as if the user had done it;
 * no helper process (an exec per file operation costs ~50 ms under TCG). Supplementary groups are not the
 * user's: the thread keeps the agent's (none, or root's), so a file reachable only through one of the user's
 * other groups is refused. A platform thread, never a virtual one: the ids belong to the OS thread, and a
 * virtual thread's carrier would carry them to other work.
 */
final class AsUser {
    /** Reserved, not committed: only the pages a deep tree touches cost memory. */
    private static final long STACK_BYTES = 8L << 20;
    private static final Libc.Fn SETFSUID = Libc.fn("setfsuid");
    private static final Libc.Fn SETFSGID = Libc.fn("setfsgid");

    private AsUser() {
    }

    /** {@code work}'s result, done as {@code account} (null: as the agent, root) on a platform thread. */
    static <T> T call(Users.Account account, Callable<T> work) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        // A larger stack than the agent's 256 KiB default: a tree's removal or watch recurses once per level.
        Thread t = Thread.ofPlatform().daemon().name("as-user").stackSize(STACK_BYTES).start(() -> {
            try {
                result.set(callHere(account, work));
            } catch (Exception e) {
                failure.set(e);
            }
        });
        t.join();
        if (failure.get() != null) {
            throw failure.get();
        }
        return result.get();
    }

    /** {@code work} on the calling thread, which must be a platform thread of the caller's own, as {@code account}. */
    static <T> T callHere(Users.Account account, Callable<T> work) throws Exception {
        if (account == null || account.uid() == 0) {
            return work.call();
        }
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("file-system ids on a virtual thread would stay with its carrier");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            // setfsgid first: once the fsuid is not 0 the thread may no longer change its fsgid
            SETFSGID.call(state, account.gid());
            SETFSUID.call(state, account.uid());
            // Both return the previous id and report no error: asking again (-1 changes nothing) says whether it took.
            if ((int) SETFSUID.call(state, -1L & 0xffffffffL) != account.uid() || (int) SETFSGID.call(state, -1L & 0xffffffffL) != account.gid()) {
                restore(state);
                throw new IllegalStateException("cannot take the file-system ids of user " + account.name());
            }
            try {
                return work.call();
            } finally {
                restore(state);
            }
        }
    }

    private static void restore(MemorySegment state) {
        SETFSUID.call(state, 0);
        SETFSGID.call(state, 0);
    }
}
