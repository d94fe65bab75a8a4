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

    void removeAllocation(String id);
}
