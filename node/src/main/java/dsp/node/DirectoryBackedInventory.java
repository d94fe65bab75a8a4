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

    /** Prepares the server's directories, then records it; when the record fails, the directories this made go again. */
    @Override
    public void saveServer(Server server) {
        java.nio.file.Path root = roots.rootOf(server.name());
        boolean existed = java.nio.file.Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        roots.prepare(server.name(), catalog.pools());
        try {
            records.saveServer(server);
        } catch (RuntimeException e) {
            if (!existed) {
                removeEmpty(root, e);
            }
            throw e;
        }
    }

    /** Only empty directories: whatever else is there now was not made here. */
    private void removeEmpty(java.nio.file.Path root, RuntimeException cause) {
        try {
            for (var pool : catalog.pools()) {
                java.nio.file.Files.deleteIfExists(root.resolve(pool.directory()));
            }
            java.nio.file.Files.deleteIfExists(root);
        } catch (java.io.IOException e) {
            cause.addSuppressed(e);
        }
    }

    @Override
    public void deleteServer(String name) {
        records.deleteServer(name);
    }
}
