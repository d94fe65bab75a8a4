package dsp.kubernetes;

import dsp.core.model.PoolCatalog;
import dsp.kubernetes.agent.NodeAgent;
import dsp.kubernetes.agent.NodeStorage;
import dsp.node.LocalNode;
import dsp.node.QemuImg;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/** A node agent wired to the real node storage engine on a directory standing for the node's "/" (as `poolctl agent --root` wires it). */
public final class NodeAgents {

    private NodeAgents() {
    }

    public static NodeAgent start(KubernetesClient client, String node, Path root, PoolCatalog catalog, String vmPool, QemuImg qemu,
                                  Clock clock, Duration reportEvery) {
        return start(client, node, root, catalog, vmPool, qemu, clock, reportEvery, Duration.ofSeconds(60));
    }

    /** @param transferStall how long a peer may send nothing before a move's transfer is given up */
    public static NodeAgent start(KubernetesClient client, String node, Path root, PoolCatalog catalog, String vmPool, QemuImg qemu,
                                  Clock clock, Duration reportEvery, Duration transferStall) {
        LocalNode local = new LocalNode(node, root, catalog, vmPool, qemu, clock);
        return new NodeAgent(client, node, catalog, vmPool, () -> {
            local.prepare();
            var copier = local.copier();
            return new NodeStorage(local.maker(), local.templates(), local.meter(), copier, copier::read, copier::receive);
        }, local.cleaner(), clock, reportEvery, transferStall);
    }
}
