package dsp.core.usecase;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Serialises every read-decide-write on the ledger inside one process, so admission and relabels
 * never decide on a stale snapshot. Shared by the use cases that change capacity.
 */
public final class FleetLock {

    private final ReentrantLock lock = new ReentrantLock(true);

    public <T> T locked(Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }
}
