package dsp.core.memory;

import dsp.core.model.Allocation;
import dsp.core.port.AllocationStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** Allocations held in memory: for tests and for embedding the engine without persistence. */
public final class InMemoryAllocationStore implements AllocationStore {

    private final Map<String, Allocation> allocations = new ConcurrentSkipListMap<>();

    @Override
    public List<Allocation> listAllocations() {
        return List.copyOf(allocations.values());
    }

    @Override
    public Optional<Allocation> findAllocation(String id) {
        return Optional.ofNullable(allocations.get(id));
    }

    @Override
    public void addAllocation(Allocation allocation) {
        if (allocations.putIfAbsent(allocation.id(), allocation) != null) {
            throw new IllegalStateException("allocation " + allocation.id() + " already exists");
        }
    }

    @Override
    public void updateAllocation(Allocation allocation) {
        allocations.replace(allocation.id(), allocation);
    }

    @Override
    public void removeAllocation(String id) {
        allocations.remove(id);
    }
}
