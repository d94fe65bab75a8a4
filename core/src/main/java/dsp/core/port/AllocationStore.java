package dsp.core.port;

import dsp.core.model.Allocation;
import java.util.List;
import java.util.Optional;

/** Where admitted allocations are recorded. */
public interface AllocationStore {

    List<Allocation> listAllocations();

    Optional<Allocation> findAllocation(String id);

    /** Records a new allocation; an existing id is a programming error. */
    void addAllocation(Allocation allocation);

    void updateAllocation(Allocation allocation);

    /**
     * Records that a Pending allocation's data is made and durable: it is now {@code ready}. Start-up
     * completes a Pending record whose data exists, so this write, if lost to a power cut, is redone:
     * a store may let it reach the disk with its next durable write instead of waiting for the disk
     * now (one sync fewer per create).
     */
    default void completeAllocation(Allocation ready) {
        updateAllocation(ready);
    }

    void removeAllocation(String id);
}
