package dsp.core.usecase;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.ReclaimPolicy;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumeLayout;
import dsp.core.model.VolumePhase;
import dsp.core.port.AllocationStore;
import dsp.core.port.VolumeMaker;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Volumes by hand (standalone mode's stand-in for PVCs): directories in any pool, blank images
 * where asked. Deleting follows the pool's reclaim policy; released data is purged explicitly.
 */
public final class VolumeService {

    private final PoolCatalog catalog;
    private final CapacityAdmission admission;
    private final AllocationStore allocations;
    private final VolumeMaker maker;
    private final VolumeData data;
    private final OperationOrder order;

    public VolumeService(PoolCatalog catalog, CapacityAdmission admission, AllocationStore allocations, VolumeMaker maker) {
        this(catalog, admission, allocations, maker, new OperationOrder());
    }

    /** @param order turns shared with the other use cases that touch volumes (e.g. a drain moving them) */
    public VolumeService(PoolCatalog catalog, CapacityAdmission admission, AllocationStore allocations, VolumeMaker maker,
                         OperationOrder order) {
        this.order = order;
        this.catalog = catalog;
        this.admission = admission;
        this.allocations = allocations;
        this.maker = maker;
        this.data = new VolumeData(admission, maker);
    }

    public Allocation create(String name, String poolName, long sizeBytes, Optional<VolumeFormat> format) {
        VolumeLayout.requireVolumeName(name);
        PoolDefinition pool = catalog.require(poolName);
        Allocation a = admission.admit(new CapacityAdmission.Request(name, pool.name(), sizeBytes, "volume",
                Optional.empty(), format.orElse(VolumeFormat.DIRECTORY), Optional.empty(), Optional.empty(), VolumePhase.PENDING));
        return order.on(a.id(), () -> {
            data.make(a, Optional.empty());
            try {
                return admission.complete(a);
            } catch (RuntimeException e) {
                data.undo(a, e);
                throw e;
            }
        });
    }

    public List<Allocation> list(Optional<String> pool) {
        pool.ifPresent(catalog::require);
        return allocations.listAllocations().stream()
                .filter(a -> pool.map(p -> p.equals(a.pool())).orElse(true))
                .sorted(Comparator.comparing(Allocation::pool).thenComparing(Allocation::name))
                .toList();
    }

    public Allocation get(String id) {
        if (id == null || id.isBlank() || id.length() > 100) {
            throw DomainException.notFound("volume '" + id + "' does not exist");
        }
        return allocations.findAllocation(id).orElseThrow(() -> DomainException.notFound("volume '" + id + "' does not exist"));
    }

    public String pathOf(Allocation a) {
        return maker.pathOf(a);
    }

    public long measuredBytes(Allocation a) {
        return maker.measuredBytes(a);
    }

    /**
     * Deletes a volume. A VM's disk is deleted through its VM. In a Retain pool the first delete
     * releases the volume and keeps its data; {@code purge} (or deleting a released volume) removes it,
     * in two phases (see {@link VolumeData#delete}); deleting a volume left Deleting finishes the job.
     */
    public Optional<Allocation> delete(String id, boolean purge) {
        get(id);
        return order.on(id, () -> {
            Allocation a = get(id); // as it is now that it is our turn
            if (a.owner().isPresent()) {
                throw DomainException.conflict("vm-disk".equals(a.kind())
                        ? "volume '" + a.name() + "' is the disk of " + a.owner().get() + "; delete the VM instead"
                        : "volume '" + a.name() + "' is in use by " + a.owner().get() + "; delete that first");
            }
            if (a.phase() == VolumePhase.PENDING) {
                throw DomainException.conflict("volume '" + a.name() + "' is still being made; try again shortly");
            }
            PoolDefinition pool = catalog.find(a.pool()).orElse(null);
            boolean retain = pool != null && pool.reclaimPolicy() == ReclaimPolicy.RETAIN;
            if (retain && !purge && a.phase() == VolumePhase.READY) {
                return Optional.of(admission.update(a.withPhase(VolumePhase.RELEASED)));
            }
            data.delete(a);
            return Optional.empty();
        });
    }
}
