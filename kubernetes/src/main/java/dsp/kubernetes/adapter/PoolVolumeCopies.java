package dsp.kubernetes.adapter;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.port.VolumeCopier;
import dsp.core.vm.Template;
import dsp.kubernetes.crd.PoolVolume;
import java.time.Duration;
import java.util.Optional;

/**
 * A drain's move in Kubernetes mode, TopoLVM style: this process does no disk I/O. The copy's
 * PoolVolume (kind {@code move-copy} on the target node, owner = the moved volume), which
 * admission wrote, is the request; the target node's agent fetches the image from the source
 * node's agent, verifies it, puts it in place and reports the copy Ready, or Failed. Here a move
 * waits for that report (on the drain's own operation thread, never a reconciler's), then the
 * drain switches the volume's record and deletes the original's record, whose finalizer has the
 * source agent delete the old data.
 */
public final class PoolVolumeCopies implements VolumeCopier {

    private final PoolVolumeStore store;
    private final Duration takeUp;
    private final Duration timeout;
    private final Object changed = new Object();

    /**
     * @param takeUp  how long the target's agent may take to start on the copy (it writes the copy's status)
     * @param timeout how long a copy may take in all; after either the move is given up (the copy is then deleted)
     */
    public PoolVolumeCopies(PoolVolumeStore store, Duration takeUp, Duration timeout) {
        this.store = store;
        this.takeUp = takeUp;
        this.timeout = timeout;
        store.onChange(v -> {
            synchronized (changed) {
                changed.notifyAll();
            }
        });
    }

    /**
     * A running VM shows in its status, which the drain checks first; a process that holds the
     * image on its node makes the source agent refuse to send it, and the move fails cleanly.
     */
    @Override
    public boolean inUse(Allocation volume) {
        return false;
    }

    /** The source agent holds the image on its node while it sends it; moves of one volume are ordered by the drain. */
    @Override
    public Hold hold(Allocation volume) {
        return () -> { };
    }

    @Override
    public void copy(Allocation source, Allocation copy, Optional<Template> template) {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        synchronized (changed) {
            while (true) {
                PoolVolume o = store.object(copy.id()).orElseThrow(() -> DomainException.storageFailed("the copy's PoolVolume "
                        + copy.id() + " is gone; the move was abandoned"));
                String phase = o.getStatus() == null ? null : o.getStatus().phase;
                if (o.getStatus() == null && System.nanoTime() - started > takeUp.toNanos()) {
                    throw DomainException.storageFailed("the agent on node " + copy.server() + " did not start on the copy of " + source.name()
                            + " within " + takeUp.toSeconds() + " s (is it running?)");
                }
                if ("Ready".equals(phase)) {
                    return;
                }
                if ("Failed".equals(phase)) {
                    String why = o.getStatus().message == null || o.getStatus().message.isBlank() ? "no reason given" : o.getStatus().message;
                    throw DomainException.storageFailed("copying " + source.name() + " to node " + copy.server() + " failed: " + why);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw DomainException.storageFailed("the copy of " + source.name() + " to node " + copy.server() + " did not finish within "
                            + timeout.toMinutes() + " minutes (is the agent on " + copy.server() + " running?)");
                }
                try {
                    changed.wait(Math.max(1, Math.min(left / 1_000_000, 1_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw DomainException.storageFailed("the move of " + source.name() + " was interrupted");
                }
            }
        }
    }

    /** The target agent puts a copy in place before it reports it Ready: nothing to do but check that it did. */
    @Override
    public void publish(Allocation copy) {
        String phase = store.object(copy.id()).map(PoolVolume::getStatus).map(s -> s.phase).orElse(null);
        if (!"Ready".equals(phase)) {
            throw DomainException.storageFailed("the copy on node " + copy.server() + " is not in place");
        }
    }

    /** Releasing the copy's record (which the drain does next) deletes it; its finalizer has the target agent remove the data. */
    @Override
    public void discard(Allocation copy) {
    }
}
