package dsp.kubernetes.adapter;

import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.core.model.Allocation;
import dsp.core.port.StorageCleaner;
import dsp.kubernetes.Writes;
import dsp.kubernetes.crd.NodeCleanupReport;
import dsp.kubernetes.crd.NodeCleanupRequest;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Cleanup in Kubernetes mode: only a node's agent can see its disk, so each node's part of a run
 * is a request written on its Node; the agent does it and reports on the Node
 * ({@link NodeCleanupRequest}). A run is pending on a node until that report is there.
 */
public final class NodeCleanupRequests implements StorageCleaner {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final SharedIndexInformer<Node> nodes;
    private final Clock clock;

    /** @param nodes where answers are read (a cache: polling a run costs the API server nothing) */
    public NodeCleanupRequests(KubernetesClient client, SharedIndexInformer<Node> nodes, Clock clock) {
        this.client = client;
        this.nodes = nodes;
        this.clock = clock;
    }

    /** Requests a run of its own on one node; what it moved is known only later, from {@link #outcome}. */
    @Override
    public List<Item> clean(String server, Supplier<List<Allocation>> referenced, boolean dryRun) {
        clean(clock.instant().toString(), server, referenced, dryRun);
        return List.of();
    }

    @Override
    public Outcome clean(String run, String server, Supplier<List<Allocation>> referenced, boolean dryRun) {
        NodeCleanupRequest request = new NodeCleanupRequest(run, dryRun);
        try {
            Writes.editExisting(client, client.nodes().withName(server), n -> {
                Map<String, String> a = n.getMetadata().getAnnotations() == null ? new HashMap<>() : new HashMap<>(n.getMetadata().getAnnotations());
                a.put(NodeCleanupRequest.REQUESTED, request.encode());
                n.getMetadata().setAnnotations(a);
                return n;
            });
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return Outcome.failed(server, dryRun, "node " + server + " no longer exists");
            }
            return Outcome.failed(server, dryRun, "cannot ask node " + server + " to clean: " + e.getMessage());
        }
        return Outcome.pending(server, dryRun);
    }

    /** Only the node's own agent can size what a run would move, and only when asked: no plan at once. */
    @Override
    public Optional<List<Item>> plan(String server, Supplier<List<Allocation>> referenced) {
        return Optional.empty();
    }

    /** Reads the Node: answered (its report), still to answer, or not part of this run (asked for another one since). */
    @Override
    public Optional<Outcome> outcome(String run, String server) {
        Node n = nodes.getStore().getByKey(server);
        if (n == null || n.getMetadata().getAnnotations() == null) {
            return Optional.empty();
        }
        Map<String, String> a = n.getMetadata().getAnnotations();
        Optional<NodeCleanupRequest> done = NodeCleanupRequest.parse(a.get(NodeCleanupRequest.DONE)).filter(r -> r.run().equals(run));
        if (done.isPresent()) {
            return Optional.of(answered(server, done.get(), a.get(NodeCleanupRequest.REPORT)));
        }
        return NodeCleanupRequest.parse(a.get(NodeCleanupRequest.REQUESTED)).filter(r -> r.run().equals(run))
                .map(r -> Outcome.pending(server, r.dryRun()));
    }

    private static Outcome answered(String server, NodeCleanupRequest request, String json) {
        NodeCleanupReport report;
        try {
            report = json == null ? null : JSON.readValue(json, NodeCleanupReport.class);
        } catch (IOException malformed) {
            report = null;
        }
        if (report == null || !request.run().equals(report.run())) {
            return Outcome.failed(server, request.dryRun(), "node " + server + " answered without a readable report");
        }
        if (report.error() != null) {
            return Outcome.failed(server, request.dryRun(), report.error());
        }
        return Outcome.done(server, request.dryRun(), report.moved() == null ? List.of() : report.moved().stream()
                .map(m -> new Item(server, m.pool(), m.entry(), m.bytes(), m.trash())).toList());
    }
}
