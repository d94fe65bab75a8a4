package dsp.kubernetes.adapter;

import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.port.VolumeMaker;
import dsp.core.vm.Template;
import dsp.kubernetes.crd.PoolVolume;
import java.util.Optional;

/**
 * The controller's side of making volumes in Kubernetes mode: the PoolVolume object is the
 * request, so there is nothing to do here but answer from what the node agents report. Growing
 * and deleting happen on the node when the object's size changes or it is deleted.
 */
public final class PoolVolumeRequests implements VolumeMaker {

    private final PoolVolumeStore store;
    private final PoolCatalog catalog;

    public PoolVolumeRequests(PoolVolumeStore store, PoolCatalog catalog) {
        this.store = store;
        this.catalog = catalog;
    }

    @Override
    public String make(Allocation a, Optional<Template> template) {
        return pathOf(a);
    }

    @Override
    public void grow(Allocation a, long newSizeBytes) {
        // the spec's size is already updated by admission; the node agent grows the image
    }

    @Override
    public void delete(Allocation a) {
        // deleting the PoolVolume (admission's release) makes the node agent delete the data
    }

    @Override
    public boolean exists(Allocation a) {
        return status(a).map(s -> "Ready".equals(s.phase)).orElse(false);
    }

    /**
     * Never: the PoolVolume admission wrote is this allocation's own record, and its node agent may
     * have made the data and reported it Ready before this is asked (a loaded API server), which is
     * not someone else's data. Asking the status here turned such a create into a 409.
     */
    @Override
    public boolean placeTaken(Allocation pending) {
        return false;
    }

    @Override
    public long presentedBytes(Allocation a) {
        return status(a).map(s -> s.presentedBytes).orElse(a.sizeBytes());
    }

    @Override
    public long measuredBytes(Allocation a) {
        return status(a).map(s -> s.measuredBytes).orElse(0L);
    }

    @Override
    public String pathOf(Allocation a) {
        return dsp.core.model.VolumeLayout.nodePath(catalog.require(a.pool()).path(), a);
    }

    @Override
    public int sweepTemporaries() {
        return 0; // each node agent sweeps its own node when it starts
    }

    private Optional<PoolVolume.Status> status(Allocation a) {
        return store.object(a.id()).map(PoolVolume::getStatus);
    }
}
