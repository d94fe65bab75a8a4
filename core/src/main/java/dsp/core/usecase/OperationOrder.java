package dsp.core.usecase;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Runs the operations on one VM or volume one at a time, in the order they arrive; operations on
 * different ones run in parallel. A delete that arrives while the disk is being made waits for it,
 * and two resizes change the image and the record as one step each. Always taken before the
 * {@link FleetLock}, never inside it.
 */
public final class OperationOrder {

    private static final class Turn {
        final ReentrantLock lock = new ReentrantLock(true);
        int users;
    }

    private final Map<String, Turn> turns = new HashMap<>();

    public <T> T on(String key, Supplier<T> operation) {
        Turn turn;
        synchronized (turns) {
            turn = turns.computeIfAbsent(key, k -> new Turn());
            turn.users++;
        }
        turn.lock.lock();
        try {
            return operation.get();
        } finally {
            turn.lock.unlock();
            synchronized (turns) {
                if (--turn.users == 0) {
                    turns.remove(key);
                }
            }
        }
    }

    /**
     * A volume's operation in the turns every use case that touches a VM's disk takes, in this
     * order: its owner's (the VM's: a delete or resize of it waits), then the volume's own.
     */
    public <T> T onVolume(Optional<String> owner, String volumeId, Supplier<T> operation) {
        Supplier<T> inTurn = () -> on(volumeId, operation);
        return owner.isPresent() ? on(owner.get(), inTurn) : inTurn.get();
    }

    public void run(String key, Runnable operation) {
        on(key, () -> {
            operation.run();
            return null;
        });
    }

    /** Keys waited for or held right now (for tests: nothing is left behind). */
    int active() {
        synchronized (turns) {
            return turns.size();
        }
    }
}
