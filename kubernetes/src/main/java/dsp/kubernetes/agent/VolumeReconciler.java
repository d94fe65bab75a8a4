package dsp.kubernetes.agent;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.MoveRecords;
import dsp.core.model.VolumeFormat;
import dsp.core.vm.Template;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.crd.PoolVolume;
import dsp.core.port.VolumeMaker;
import java.util.function.Supplier;
import dsp.core.model.VolumeLayout;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes one PoolVolume of this node real: creates (directory, qcow2 overlay, raw disk.img),
 * grows, and on deletion removes the data and then the finalizer. Idempotent: running it again
 * on the same object changes nothing.
 */
final class VolumeReconciler {

    private static final Logger LOG = LoggerFactory.getLogger(VolumeReconciler.class);

    private final String node;
    private final dsp.core.model.PoolCatalog catalog;
    private final Supplier<NodeStorage> storage;
    private final PoolVolumeWrites writes;
    private final Runnable dataChanged;
    private final MoveTarget moves;
    private final SharedPlaces places;

    /** @param dataChanged told after data was deleted, so the disk report follows at once */
    VolumeReconciler(String node, dsp.core.model.PoolCatalog catalog, Supplier<NodeStorage> storage, PoolVolumeWrites writes, Runnable dataChanged,
                     MoveTarget moves, SharedPlaces places) {
        this.moves = moves;
        this.places = places;
        this.node = node;
        this.catalog = catalog;
        this.storage = storage;
        this.writes = writes;
        this.dataChanged = dataChanged;
    }

    void reconcile(PoolVolume v) {
        if (v == null || v.getSpec() == null || !node.equals(v.getSpec().node)) {
            return;
        }
        String name = v.getMetadata().getName();
        Optional<Allocation> a = PoolVolumeStore.toAllocation(v);
        if (a.isEmpty()) {
            writes.status(name, PoolVolumeWrites.status("Failed", null, "spec is incomplete: name, pool, node and sizeBytes are required", null, null));
            return;
        }
        Allocation allocation = a.get();
        if (v.getMetadata().getDeletionTimestamp() != null) {
            if (MoveRecords.COPY.equals(allocation.kind()) && moves.stop(name)) {
                throw DomainException.conflict("the copy is still arriving; it is stopped first"); // retried once it has cleaned up
            }
            if (places.heldByAnother(v)) {
                // a drain's copy once the volume switched to it, or an original the volume still points at: the data is the volume's
                if (MoveRecords.COPY.equals(allocation.kind())) {
                    storage.get().copier().discard(allocation); // only its temporary, if one is left
                }
                writes.releaseFinalizer(name);
                LOG.info("PoolVolume {}: released; its data {} stays on node {} as another PoolVolume's", name, allocation.name(), node);
                return;
            }
            storage.get().maker().delete(allocation);
            writes.releaseFinalizer(name);
            LOG.info("PoolVolume {}: data {} deleted on node {}", name, allocation.name(), node);
            dataChanged.run();
            return;
        }
        if (MoveRecords.ORIGINAL.equals(allocation.kind())) {
            return; // the data is the moved volume's as it was; it is deleted with this record, once the volume points elsewhere
        }
        if (MoveRecords.COPY.equals(allocation.kind())) {
            moves.reconcile(v, allocation); // fetched from the node the volume is on, never made empty
            return;
        }
        try {
            make(v, allocation);
        } catch (DomainException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw e; // the agent is stopping: nothing is wrong with the volume, its status stays as it was
            }
            if (e.code() == DomainException.Code.CONFLICT) {
                writes.status(name, PoolVolumeWrites.status(v.getStatus() == null ? "Pending" : v.getStatus().phase, null, e.getMessage(), null, null));
                throw e; // busy image: retry with backoff
            }
            writes.status(name, PoolVolumeWrites.status("Failed", null, e.getMessage(), null, null));
            throw e;
        }
    }

    private void make(PoolVolume v, Allocation allocation) {
        String name = v.getMetadata().getName();
        VolumeMaker maker = storage.get().maker();
        var templates = storage.get().templates();
        Optional<Template> template = allocation.template().flatMap(templates::findTemplate);
        if (allocation.template().isPresent() && template.isEmpty()) {
            writes.status(name, PoolVolumeWrites.status("Failed", null, "template " + allocation.template().get() + " is not on node "
                    + node + "; templates: " + templates.listTemplates().stream().map(Template::name).toList(), null, null));
            return;
        }
        boolean image = allocation.format() != VolumeFormat.DIRECTORY;
        boolean newDirectory = !image && !maker.exists(allocation);
        String path = maker.make(allocation, template);
        if (image && maker.presentedBytes(allocation) < allocation.sizeBytes()) {
            maker.grow(allocation, allocation.sizeBytes());
        }
        String nodePath = VolumeLayout.nodePath(catalog.require(allocation.pool()).path(), allocation);
        Long presented = image ? maker.presentedBytes(allocation) : allocation.sizeBytes();
        PoolVolume.Status s = v.getStatus();
        if (s == null || !"Ready".equals(s.phase) || !nodePath.equals(s.path) || !presented.equals(s.presentedBytes)) {
            // a directory made just now holds nothing (so the next disk report has nothing to add, no second write);
            // one already there keeps what was measured, and the periodic report measures volumes as they fill
            Long measured = image ? maker.measuredBytes(allocation) : newDirectory ? Long.valueOf(0) : s == null ? null : s.measuredBytes;
            writes.status(name, PoolVolumeWrites.status("Ready", nodePath, null, measured, presented));
            LOG.info("PoolVolume {}: Ready at {} on node {} ({})", name, path, node, allocation.format().display());
        }
    }
}
