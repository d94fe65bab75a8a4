package dsp.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.ledger.CapacityLedger;
import dsp.core.ledger.WriteThroughAllocations;
import dsp.core.ledger.WriteThroughServers;
import dsp.core.memory.InMemoryAllocationStore;
import dsp.core.memory.InMemoryServerInventory;
import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.port.AllocationStore;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A create's writes to the durable record: the Pending record (which start-up completes or rolls back),
 * then, once the data is made, Ready as a completion, which a store may commit without waiting for the
 * disk. Everything else stays an ordinary, synced, update.
 */
class CreateCompletionTest {

    private static final long GB = 1_000_000_000L;

    /** The record, logging which kind of write each change came as. */
    private static final class LoggedRecord implements AllocationStore {
        final InMemoryAllocationStore real = new InMemoryAllocationStore();
        final List<String> writes = new ArrayList<>();

        @Override
        public List<Allocation> listAllocations() {
            return real.listAllocations();
        }

        @Override
        public Optional<Allocation> findAllocation(String id) {
            return real.findAllocation(id);
        }

        @Override
        public void addAllocation(Allocation a) {
            writes.add("add " + a.name() + " " + a.phase().display());
            real.addAllocation(a);
        }

        @Override
        public void updateAllocation(Allocation a) {
            writes.add("update " + a.name() + " " + a.phase().display());
            real.updateAllocation(a);
        }

        @Override
        public void completeAllocation(Allocation a) {
            writes.add("complete " + a.name() + " " + a.phase().display());
            real.updateAllocation(a);
        }

        @Override
        public void removeAllocation(String id) {
            writes.add("remove " + id);
            real.removeAllocation(id);
        }
    }

    @Test
    void aCreateIsRecordedPendingThenCompletedAndADeleteIsSynced() {
        PoolCatalog catalog = PoolCatalog.guideDefaults();
        Clock clock = Clock.fixed(Instant.parse("2026-11-26T03:00:00Z"), ZoneOffset.UTC);
        CapacityLedger ledger = new CapacityLedger(catalog);
        LoggedRecord record = new LoggedRecord();
        AllocationStore allocations = new WriteThroughAllocations(ledger, record);
        FleetLock lock = new FleetLock();
        new ServerAdministration(ledger, new WriteThroughServers(ledger, new InMemoryServerInventory()), lock, clock)
                .assign("k8s-1", Optional.of("k8s"), Optional.empty());
        AtomicLong ids = new AtomicLong();
        CapacityAdmission admission = new CapacityAdmission(ledger, allocations, lock, clock, () -> "a" + ids.incrementAndGet());
        VolumeService volumes = new VolumeService(catalog, admission, allocations, new ScriptedVolumes());

        Allocation made = volumes.create("data", "k8s", 10 * GB, Optional.empty());

        assertThat(record.writes).containsExactly("add data Pending", "complete data Ready");
        assertThat(record.real.findAllocation(made.id())).contains(made);
        assertThat(ledger.allocation(made.id())).contains(made);

        volumes.delete(made.id(), true);
        assertThat(record.writes).containsExactly("add data Pending", "complete data Ready", "update data Deleting", "remove a1");
    }
}
