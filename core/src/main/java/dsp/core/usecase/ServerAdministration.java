package dsp.core.usecase;

import dsp.core.DomainException;
import dsp.core.ledger.CapacityLedger;
import dsp.core.model.Allocation;
import dsp.core.model.Names;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Server;
import dsp.core.port.ServerInventory;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Adding, moving and removing servers. A relabel moves the server's share at once and never
 * touches data: allocations stay on the server and become stranded if it left their pool.
 */
public final class ServerAdministration {

    private final PoolCatalog catalog;
    private final CapacityLedger ledger;
    private final ServerInventory inventory;
    private final FleetLock lock;
    private final Clock clock;

    /** @param inventory where servers are recorded; it must feed the ledger every change of its record */
    public ServerAdministration(CapacityLedger ledger, ServerInventory inventory, FleetLock lock, Clock clock) {
        this.catalog = ledger.catalog();
        this.ledger = ledger;
        this.inventory = inventory;
        this.lock = lock;
        this.clock = clock;
    }

    /**
     * Puts the server in {@code poolName} (or in no pool when empty), creating it if new.
     *
     * @param share empty keeps the current override; a value sets it
     */
    public ServerView assign(String serverName, Optional<String> poolName, Optional<Long> share) {
        Names.requireServer(serverName);
        Optional<String> label = poolName.map(p -> catalog.find(p)
                .orElseThrow(() -> DomainException.invalid("pool '" + p + "' does not exist; pools are "
                        + catalog.pools().stream().map(PoolDefinition::name).toList()))
                .label());
        return lock.locked(() -> {
            Server current = ledger.server(serverName)
                    .orElseGet(() -> new Server(serverName, Optional.empty(), Optional.empty(), clock.instant()));
            Server next = current.withPool(label);
            if (share.isPresent()) {
                next = next.withShareOverride(share);
            }
            inventory.saveServer(next);
            return PoolQueries.view(ledger, next);
        });
    }

    /** Removes a server that holds nothing; one that still holds allocations is a conflict. */
    public void remove(String serverName) {
        lock.locked(() -> {
            ledger.server(serverName)
                    .orElseThrow(() -> DomainException.notFound("server '" + serverName + "' does not exist"));
            List<Allocation> held = ledger.allocationsOn(serverName);
            if (!held.isEmpty()) {
                throw DomainException.conflict("server '" + serverName + "' still holds " + held.size()
                        + " allocation(s), e.g. '" + held.get(0).name() + "'; delete them first or move the server "
                        + "out of its pool with {\"pool\": null} to keep its data");
            }
            inventory.deleteServer(serverName);
            return null;
        });
    }
}
