package dsp.core.usecase;

import dsp.core.health.FleetStatus;
import dsp.core.health.FleetStatusCalculator;
import dsp.core.health.ServerFigures;
import dsp.core.ledger.CapacityLedger;
import dsp.core.model.PoolCatalog;
import dsp.core.model.Server;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Read side: pool status and health, servers with their figures. Everything is read from the
 * in-memory ledger; status is rebuilt from its running totals only when they changed, so a
 * status request costs the same at 5,000 servers as at 5.
 */
public final class PoolQueries {

    private record Snapshot(long version, FleetStatus status) {
    }

    private record ServersSnapshot(long version, List<ServerFigures> servers) {
    }

    private final CapacityLedger ledger;
    private final Clock clock;
    private final FleetStatusCalculator calculator;
    private volatile Snapshot snapshot = new Snapshot(-1, null);
    private volatile ServersSnapshot servers = new ServersSnapshot(-1, List.of());

    public PoolQueries(CapacityLedger ledger, Clock clock) {
        this(ledger, clock, false);
    }

    /** @param simulatedServers the servers are directories on one machine (the demo): see {@link FleetStatusCalculator} */
    public PoolQueries(CapacityLedger ledger, Clock clock, boolean simulatedServers) {
        this.ledger = ledger;
        this.clock = clock;
        this.calculator = new FleetStatusCalculator(simulatedServers);
    }

    public PoolCatalog catalog() {
        return ledger.catalog();
    }

    /** The live ledger (not a copy): its answers are current, each one atomic. */
    public CapacityLedger ledger() {
        return ledger;
    }

    public FleetStatus status() {
        Snapshot s = snapshot;
        long version = ledger.version();
        if (s.version() != version) {
            // totals and version are read apart; a change in between only makes the next read rebuild again
            s = new Snapshot(version, calculator.calculate(ledger.totals(), ledger.catalog(), clock.instant()));
            snapshot = s;
        }
        return s.status().checkedAt(clock.instant());
    }

    /** Status of the ledger (kept for callers that hold it already). */
    public FleetStatus status(CapacityLedger ledger) {
        return status();
    }

    /**
     * Every server's figures and disk (for listings, metrics, the dashboard): O(servers), rebuilt
     * only when the ledger changed since the last call.
     */
    public List<ServerFigures> serverFigures() {
        ServersSnapshot s = servers;
        long version = ledger.version();
        if (s.version() != version) {
            long reserve = ledger.catalog().reserveBytes();
            s = new ServersSnapshot(version, ledger.serverFigures().stream()
                    .map(line -> FleetStatusCalculator.serverFigures(line, reserve)).toList());
            servers = s;
        }
        return s.servers();
    }

    /** One server's figures and disk, read now. */
    public Optional<ServerFigures> serverFigures(String name) {
        return ledger.serverFigures(name).map(line -> FleetStatusCalculator.serverFigures(line, ledger.catalog().reserveBytes()));
    }

    public boolean hasServer(String name) {
        return ledger.server(name).isPresent();
    }

    public List<ServerView> servers() {
        return ledger.servers().stream().map(s -> view(ledger, s)).toList();
    }

    public ServerView server(String name) {
        Server s = ledger.server(name).orElseThrow(() -> dsp.core.DomainException.notFound("server '" + name + "' does not exist"));
        return view(ledger, s);
    }

    static ServerView view(CapacityLedger ledger, Server s) {
        return new ServerView(s, ledger.poolOf(s), ledger.shareOf(s), ledger.allocatedOn(s.name()),
                ledger.budgetOf(s), ledger.allocationCountOn(s.name()), ledger.strandedCountOn(s.name()));
    }
}
