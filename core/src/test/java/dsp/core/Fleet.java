package dsp.core;

import dsp.core.memory.InMemoryAllocationStore;
import dsp.core.memory.InMemoryServerInventory;
import dsp.core.model.PoolCatalog;
import dsp.core.port.StorageMeter;
import dsp.core.usecase.CapacityAdmission;
import dsp.core.usecase.FleetLock;
import dsp.core.usecase.PoolQueries;
import dsp.core.usecase.ServerAdministration;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** The engine wired to in-memory adapters, for tests. */
public final class Fleet {

    public final InMemoryServerInventory inventory = new InMemoryServerInventory();
    public final InMemoryAllocationStore store = new InMemoryAllocationStore();
    public final Clock clock = Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC);
    public final PoolCatalog catalog;
    public final PoolQueries queries;
    public final ServerAdministration servers;
    public final CapacityAdmission admission;

    public Fleet() {
        this(PoolCatalog.guideDefaults(), servers -> List.of());
    }

    public Fleet(PoolCatalog catalog, StorageMeter meter) {
        this.catalog = catalog;
        FleetLock lock = new FleetLock();
        AtomicLong ids = new AtomicLong();
        queries = new PoolQueries(catalog, inventory, store, meter, clock);
        servers = new ServerAdministration(catalog, inventory, store, lock, clock);
        admission = new CapacityAdmission(catalog, inventory, store, lock, clock, () -> "a" + ids.incrementAndGet());
    }

    public void label(String server, String pool) {
        servers.assign(server, Optional.ofNullable(pool), Optional.empty());
    }
}
