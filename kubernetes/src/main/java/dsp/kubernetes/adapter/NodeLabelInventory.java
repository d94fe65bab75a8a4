package dsp.kubernetes.adapter;

import dsp.core.DomainException;
import dsp.core.model.Quantity;
import dsp.core.model.Server;
import dsp.core.port.ServerInventory;
import dsp.kubernetes.Names;
import dsp.kubernetes.Writes;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Servers are Nodes; a node's pool is its {@code pool} label and its share override the
 * {@code dynamicpools.io/share} annotation. Reads come from an informer's cache; writes label
 * the node exactly as {@code kubectl label node X pool=...} does.
 */
public final class NodeLabelInventory implements ServerInventory {

    private static final Logger LOG = LoggerFactory.getLogger(NodeLabelInventory.class);
    /** What was already logged as ignored, so a node with a bad label is reported once, not on every read. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private final KubernetesClient client;
    private final SharedIndexInformer<Node> nodes;

    public NodeLabelInventory(KubernetesClient client, SharedIndexInformer<Node> nodes) {
        this.client = client;
        this.nodes = nodes;
    }

    @Override
    public List<Server> listServers() {
        return nodes.getStore().list().stream().map(NodeLabelInventory::toServer).flatMap(Optional::stream)
                .sorted(Comparator.comparing(Server::name)).toList();
    }

    @Override
    public Optional<Server> findServer(String name) {
        return Optional.ofNullable(nodes.getStore().getByKey(name)).flatMap(NodeLabelInventory::toServer);
    }

    /** Labels the node as {@code kubectl label} would; a node that already says so is not written. */
    @Override
    public void saveServer(Server server) {
        try {
            Writes.editExisting(client, client.nodes().withName(server.name()), n -> {
                Map<String, String> labels = n.getMetadata().getLabels() == null ? new HashMap<>() : new HashMap<>(n.getMetadata().getLabels());
                Map<String, String> annotations = n.getMetadata().getAnnotations() == null ? new HashMap<>() : new HashMap<>(n.getMetadata().getAnnotations());
                if (server.pool().isPresent()) {
                    labels.put(Names.POOL_LABEL, server.pool().get());
                } else {
                    labels.remove(Names.POOL_LABEL);
                }
                if (server.shareOverride().isPresent()) {
                    annotations.put(Names.SHARE_ANNOTATION, Long.toString(server.shareOverride().get()));
                } else {
                    annotations.remove(Names.SHARE_ANNOTATION);
                }
                n.getMetadata().setLabels(labels);
                n.getMetadata().setAnnotations(annotations);
                return n;
            });
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                throw DomainException.notFound("node '" + server.name() + "' does not exist; in Kubernetes mode servers are Nodes");
            }
            throw DomainException.storageFailed("cannot label node " + server.name() + ": " + e.getMessage());
        }
    }

    @Override
    public void deleteServer(String name) {
        throw DomainException.conflict("in Kubernetes mode servers are Nodes: take it out of its pool with "
                + "`kubectl label node " + name + " pool-` and remove it with `kubectl delete node " + name + "`");
    }

    /**
     * A node; a malformed share annotation or label is ignored rather than breaking every status,
     * and the log says so (once per node and value). Node names are DNS subdomains
     * ({@code ip-10-0-0-1.ec2.internal}), which servers accept.
     */
    static Optional<Server> toServer(Node n) {
        String name = n.getMetadata().getName();
        if (!dsp.core.model.Names.isValidServer(name)) {
            warnOnce(name, "", "node '" + name + "' is left out of every pool: its name is not a DNS subdomain");
            return Optional.empty();
        }
        Map<String, String> labels = n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
        Map<String, String> annotations = n.getMetadata().getAnnotations() == null ? Map.of() : n.getMetadata().getAnnotations();
        Optional<String> pool = Optional.ofNullable(labels.get(Names.POOL_LABEL)).filter(dsp.core.model.Names::isValid);
        if (pool.isEmpty() && labels.get(Names.POOL_LABEL) != null) {
            warnOnce(name, labels.get(Names.POOL_LABEL), "node " + name + " is in no pool: its label " + Names.POOL_LABEL + "="
                    + labels.get(Names.POOL_LABEL) + " is not a pool name (lower-case letters, digits and '-')");
        }
        Optional<Long> share = Optional.empty();
        String s = annotations.get(Names.SHARE_ANNOTATION);
        if (s != null) {
            try {
                share = Optional.of(Quantity.parseBytes(s)).filter(v -> v > 0);
            } catch (DomainException bad) {
                share = Optional.empty();
            }
        }
        String created = n.getMetadata().getCreationTimestamp();
        Instant at = created == null ? Instant.EPOCH : Instant.parse(created);
        return Optional.of(new Server(name, pool, share, at));
    }

    private static void warnOnce(String node, String value, String message) {
        if (WARNED.size() < 10_000 && WARNED.add(node + "\u0000" + value)) {
            LOG.warn(message);
        }
    }
}
