package dsp.kubernetes.adapter;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.port.VolumeCopier;
import dsp.core.vm.Template;
import dsp.kubernetes.crd.PoolVolume;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private static final Logger LOG = LoggerFactory.getLogger(PoolVolumeCopies.class);

    private final PoolVolumeStore store;
    private final VmResourceStore vms;
    private final Duration takeUp;
    private final Duration timeout;
    private final Object changed = new Object();

    /**
     * @param takeUp  how long the target's agent may take to start on the copy (it writes the copy's status)
     * @param timeout how long a copy may take in all; after either the move is given up (the copy is then deleted)
     */
    public PoolVolumeCopies(PoolVolumeStore store, VmResourceStore vms, Duration takeUp, Duration timeout) {
        this.store = store;
        this.vms = vms;
        this.takeUp = takeUp;
        this.timeout = timeout;
        store.onChange(v -> {
            synchronized (changed) {
                changed.notifyAll();
            }
        });
    }

    /**
     * A VM runs here as its KubeVirt VirtualMachine: one set to run, or with an instance, may be
     * writing its disk on the source node, so it does not move (the source agent also refuses to
     * send an image a process holds, but only while it sends).
     */
    @Override
    public boolean inUse(Allocation volume) {
        return whyInUse(volume).isPresent();
    }

    @Override
    public Optional<String> whyInUse(Allocation volume) {
        return volume.owner().flatMap(vms::whyRunning);
    }

    /** Where its KubeVirt VirtualMachine is pinned: a user's start runs it there, on the data at its place. */
    @Override
    public Optional<String> boundTo(Allocation volume) {
        return volume.owner().flatMap(vms::kubeVirtNode);
    }

    @Override
    public void bindTo(Allocation volume, Allocation place) {
        volume.owner().ifPresent(vm -> vms.pinKubeVirtVm(vm, place));
    }

    /**
     * Nothing here can keep a user from starting the VM while its disk is copied (virtctl start);
     * so it is refused when it runs now, checked again right before the switch, and pinned to the
     * copy's node in the same write that checks it is still halted (a start in between makes the
     * write fail). Closing pins it wherever the volume's record then points: back to the original
     * when the move was abandoned after the switch step.
     */
    @Override
    public Hold hold(Allocation volume) {
        whyInUse(volume).ifPresent(why -> {
            throw DomainException.conflict(why);
        });
        return new Hold() {
            @Override
            public void switchTo(Allocation copy) {
                if (volume.owner().isEmpty()) {
                    return;
                }
                try {
                    vms.pinKubeVirtVm(volume.owner().get(), copy); // same name and pool: the same path on its node
                } catch (DomainException e) {
                    throw DomainException.conflict(e.getMessage() + ": it was started while its disk was copied to " + copy.server()
                            + ", so the copy is abandoned and the disk stays on " + volume.server());
                }
            }

            @Override
            public void close() {
                if (volume.owner().isEmpty()) {
                    return;
                }
                store.findAllocation(volume.id()).ifPresent(now -> {
                    try {
                        vms.pinKubeVirtVm(volume.owner().get(), now);
                    } catch (DomainException e) {
                        LOG.warn("volume {}: {}", volume.id(), e.getMessage());
                    }
                });
            }
        };
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
