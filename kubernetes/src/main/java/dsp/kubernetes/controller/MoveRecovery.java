package dsp.kubernetes.controller;

import dsp.core.usecase.MoveSettlement;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A drain's move that a crash of the controller left half-way is brought to one of its two ends
 * as soon as this process leads admission (its PoolVolumes are listed before the API serves): {@link MoveSettlement}
 * reads the records and where the KubeVirt VM is pinned. A copy without an original record was
 * never switched to: its record is deleted, and with it, by its finalizer, what the target's agent
 * had fetched; the volume stays where it was (unless the VM was pinned to the copy and started
 * there: then the move is finished). With an original record the move was decided: the VM is
 * pinned to the copy, the volume's record points at it, and the original's record is deleted, and
 * with it the old data (unless the VM was started where it was before it could be pinned: then
 * the move is undone). One pass; what it cannot settle is logged and settled by the next drain of
 * that volume.
 */
public final class MoveRecovery implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MoveRecovery.class);

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "move-recovery");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean done;

    /**
     * @param leading  whether this process leads admission (only the leader changes records)
     * @param settled  told each volume whose move was settled (what uses it follows it to where its record points)
     */
    public MoveRecovery(MoveSettlement settlement, BooleanSupplier leading, Consumer<String> settled) {
        thread.scheduleWithFixedDelay(() -> {
            if (done || !leading.getAsBoolean()) {
                return;
            }
            done = true;
            try {
                MoveSettlement.Outcome o = settlement.settleAll();
                if (o.changedAnything()) {
                    LOG.info("moves left half-way settled: undone {}, finished {}", o.undone(), o.finished());
                }
                o.problems().forEach(p -> LOG.warn("not settled (the next drain of it settles it): {}", p));
                java.util.stream.Stream.concat(o.undone().stream(), o.finished().stream()).forEach(settled);
            } catch (RuntimeException e) {
                LOG.warn("settling moves left half-way failed: {} (the next drain of each settles it)", e.getMessage());
            }
        }, 0, 500, TimeUnit.MILLISECONDS);
    }

    /** Whether the pass ran (for tests). */
    boolean done() {
        return done;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
