package dsp.core.ledger;

import dsp.core.model.Allocation;
import dsp.core.port.AllocationStore;
import java.util.List;
import java.util.Optional;

/**
 * Allocations read from the in-memory ledger and written through to a durable store: each write
 * reaches the store first and the ledger once the store has it. The store is read once, when
 * the ledger is loaded; every write must come through here, or the ledger falls behind it.
 */
public final class WriteThroughAllocations implements AllocationStore {

    private final CapacityLedger ledger;
    private final AllocationStore durable;

    public WriteThroughAllocations(CapacityLedger ledger, AllocationStore durable) {
        this.ledger = ledger;
        this.durable = durable;
    }

    @Override
    public List<Allocation> listAllocations() {
        return ledger.allocations();
    }

    @Override
    public Optional<Allocation> findAllocation(String id) {
        return ledger.allocation(id);
    }

    @Override
    public void addAllocation(Allocation allocation) {
        durable.addAllocation(allocation);
        ledger.putAllocation(allocation);
    }

    @Override
    public void updateAllocation(Allocation allocation) {
        durable.updateAllocation(allocation);
        ledger.replaceAllocation(allocation);
    }

    @Override
    public void completeAllocation(Allocation ready) {
        durable.completeAllocation(ready);
        ledger.replaceAllocation(ready);
    }

    @Override
    public void removeAllocation(String id) {
        durable.removeAllocation(id);
        ledger.removeAllocation(id);
    }
}
