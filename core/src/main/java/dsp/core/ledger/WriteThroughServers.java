package dsp.core.ledger;

import dsp.core.model.Server;
import dsp.core.port.ServerInventory;
import java.util.List;
import java.util.Optional;

/**
 * The server inventory read from the in-memory ledger and written through to a durable one:
 * each write reaches the durable inventory first and the ledger once it has it.
 */
public final class WriteThroughServers implements ServerInventory {

    private final CapacityLedger ledger;
    private final ServerInventory durable;

    public WriteThroughServers(CapacityLedger ledger, ServerInventory durable) {
        this.ledger = ledger;
        this.durable = durable;
    }

    @Override
    public List<Server> listServers() {
        return ledger.servers();
    }

    @Override
    public Optional<Server> findServer(String name) {
        return ledger.server(name);
    }

    @Override
    public void saveServer(Server server) {
        durable.saveServer(server);
        ledger.putServer(server);
    }

    @Override
    public void deleteServer(String name) {
        durable.deleteServer(name);
        ledger.removeServer(name);
    }
}
