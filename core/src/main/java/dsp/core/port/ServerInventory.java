package dsp.core.port;

import dsp.core.model.Server;
import java.util.List;
import java.util.Optional;

/** The servers and the pool label each carries (Nodes in Kubernetes, rows in standalone). */
public interface ServerInventory {

    List<Server> listServers();

    Optional<Server> findServer(String name);

    /** Creates or replaces the server. */
    void saveServer(Server server);

    void deleteServer(String name);
}
