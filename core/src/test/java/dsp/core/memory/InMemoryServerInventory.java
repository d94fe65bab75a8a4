package dsp.core.memory;

import dsp.core.model.Server;
import dsp.core.port.ServerInventory;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** Inventory held in memory: for tests and for embedding the engine without persistence. */
public final class InMemoryServerInventory implements ServerInventory {

    private final Map<String, Server> servers = new ConcurrentSkipListMap<>();

    @Override
    public List<Server> listServers() {
        return List.copyOf(servers.values());
    }

    @Override
    public Optional<Server> findServer(String name) {
        return Optional.ofNullable(servers.get(name));
    }

    @Override
    public void saveServer(Server server) {
        servers.put(server.name(), server);
    }

    @Override
    public void deleteServer(String name) {
        servers.remove(name);
    }
}
