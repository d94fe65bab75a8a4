package dsp.core.usecase;

import dsp.core.health.FleetStatus;
import dsp.core.health.FleetStatusCalculator;
import dsp.core.ledger.CapacityLedger;
import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.Server;
import dsp.core.port.AllocationStore;
import dsp.core.port.ServerInventory;
import dsp.core.port.StorageMeter;
import java.time.Clock;
import java.util.List;

/** Read side: pool status and health, servers with their figures. */
public final class PoolQueries {

    private final PoolCatalog catalog;
    private final ServerInventory inventory;
    private final AllocationStore allocations;
    private final StorageMeter meter;
    private final Clock clock;
    private final FleetStatusCalculator calculator;

    public PoolQueries(PoolCatalog catalog, ServerInventory inventory, AllocationStore allocations,
                       StorageMeter meter, Clock clock) {
        this(catalog, inventory, allocations, meter, clock, false);
    }

    /** @param simulatedServers the servers are directories on one machine (the demo): see {@link FleetStatusCalculator} */
    public PoolQueries(PoolCatalog catalog, ServerInventory inventory, AllocationStore allocations,
                       StorageMeter meter, Clock clock, boolean simulatedServers) {
        this.calculator = new FleetStatusCalculator(simulatedServers);
        this.catalog = catalog;
        this.inventory = inventory;
        this.allocations = allocations;
        this.meter = meter;
        this.clock = clock;
    }

    public PoolCatalog catalog() {
        return catalog;
    }

    public CapacityLedger ledger() {
        return new CapacityLedger(catalog, inventory.listServers(), allocations.listAllocations());
    }

    public FleetStatus status() {
        return status(ledger());
    }

    /** Status of a ledger the caller already built (so one pass reads the stores once). */
    public FleetStatus status(CapacityLedger ledger) {
        List<Server> servers = List.copyOf(ledger.servers());
        return calculator.calculate(ledger, meter.measure(servers), clock.instant());
    }

    public boolean hasServer(String name) {
        return inventory.findServer(name).isPresent();
    }

    public List<ServerView> servers() {
        CapacityLedger ledger = ledger();
        return ledger.servers().stream().map(s -> view(ledger, s)).toList();
    }

    public ServerView server(String name) {
        CapacityLedger ledger = ledger();
        Server s = ledger.server(name).orElseThrow(() -> dsp.core.DomainException.notFound("server '" + name + "' does not exist"));
        return view(ledger, s);
    }

    static ServerView view(CapacityLedger ledger, Server s) {
        List<Allocation> on = ledger.allocations().stream().filter(a -> a.server().equals(s.name())).toList();
        int stranded = (int) on.stream().filter(ledger::isStranded).count();
        return new ServerView(s, ledger.poolOf(s), ledger.shareOf(s), ledger.allocatedOn(s.name()),
                ledger.budgetOf(s), on.size(), stranded);
    }
}
