package dsp.node;

import dsp.core.model.PoolCatalog;
import dsp.core.model.Server;
import dsp.core.port.ServerInventory;
import java.util.List;
import java.util.Optional;

/**
 * Standalone inventory: the record of servers lives in a store, and every server also has a
 * directory laid out like a node's root. Saving a server prepares its directories; removing it
 * never deletes them (no data is ever lost by an inventory change).
 */
public final class DirectoryBackedInventory implements ServerInventory {

    private final ServerInventory records;
    private final ServerRoots roots;
    private final PoolCatalog catalog;

    public DirectoryBackedInventory(ServerInventory records, ServerRoots roots, PoolCatalog catalog) {
        this.records = records;
        this.roots = roots;
        this.catalog = catalog;
    }

    @Override
    public List<Server> listServers() {
        return records.listServers();
    }

    @Override
    public Optional<Server> findServer(String name) {
        return records.findServer(name);
    }

    @Override
    public void saveServer(Server server) {
        roots.prepare(server.name(), catalog.pools());
        records.saveServer(server);
    }

    @Override
    public void deleteServer(String name) {
        records.deleteServer(name);
    }
}
