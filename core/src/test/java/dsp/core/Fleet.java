package dsp.core;

import dsp.core.ledger.CapacityLedger;
import dsp.core.ledger.WriteThroughAllocations;
import dsp.core.ledger.WriteThroughServers;
import dsp.core.memory.InMemoryAllocationStore;
import dsp.core.memory.InMemoryServerInventory;
import dsp.core.model.PoolCatalog;
import dsp.core.port.AllocationStore;
import dsp.core.port.ServerInventory;
import dsp.core.port.StorageMeter;
import dsp.core.usecase.CapacityAdmission;
import dsp.core.usecase.DiskSurvey;
import dsp.core.usecase.FleetLock;
import dsp.core.usecase.PoolQueries;
import dsp.core.usecase.ServerAdministration;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine wired as standalone mode wires it, with in-memory records standing in for SQLite:
 * the ledger in memory, every write going through to the record.
 */
public final class Fleet {

    /** The durable record (what SQLite is in standalone mode). */
    public final InMemoryServerInventory recordedServers = new InMemoryServerInventory();
    public final InMemoryAllocationStore recordedAllocations = new InMemoryAllocationStore();
    public final Clock clock = Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC);
    public final PoolCatalog catalog;
    public final CapacityLedger ledger;
    /** Read from the ledger, written through to the record. */
    public final ServerInventory inventory;
    public final AllocationStore store;
    public final PoolQueries queries;
    public final ServerAdministration servers;
    public final CapacityAdmission admission;
    public final DiskSurvey survey;

    public Fleet() {
        this(PoolCatalog.guideDefaults(), servers -> List.of());
    }

    public Fleet(PoolCatalog catalog, StorageMeter meter) {
        this(catalog, meter, false);
    }

    /** @param simulatedServers the servers are directories of one machine (the demo) */
    public Fleet(PoolCatalog catalog, StorageMeter meter, boolean simulatedServers) {
        this.catalog = catalog;
        FleetLock lock = new FleetLock();
        AtomicLong ids = new AtomicLong();
        ledger = new CapacityLedger(catalog);
        inventory = new WriteThroughServers(ledger, recordedServers);
        store = new WriteThroughAllocations(ledger, recordedAllocations);
        queries = new PoolQueries(ledger, clock, simulatedServers);
        servers = new ServerAdministration(ledger, inventory, lock, clock);
        admission = new CapacityAdmission(ledger, store, lock, clock, () -> "a" + ids.incrementAndGet());
        survey = new DiskSurvey(ledger, meter, clock, 2);
    }

    public void label(String server, String pool) {
        servers.assign(server, Optional.ofNullable(pool), Optional.empty());
    }

    /** One measurement pass, as the background survey would run it. */
    public void measure() {
        survey.pass();
    }

    /** A ledger loaded from the record alone, as a restart would build it. */
    public CapacityLedger reloaded() {
        return new CapacityLedger(catalog, recordedServers.listServers(), recordedAllocations.listAllocations());
    }
}
