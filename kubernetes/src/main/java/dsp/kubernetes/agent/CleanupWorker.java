package dsp.kubernetes.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.core.model.Allocation;
import dsp.core.port.StorageCleaner;
import dsp.kubernetes.Writes;
import dsp.kubernetes.crd.NodeCleanupReport;
import dsp.kubernetes.crd.NodeCleanupRequest;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of the cleanup protocol ({@link NodeCleanupRequest}): answers each request on
 * its Node once. Orphans of this node's pool directories go to the trash; whatever a PoolVolume
 * of this node references stays. A node without pool data answers too, with nothing moved, so
 * whoever waits for every node's answer gets one.
 */
final class CleanupWorker {

    private static final Logger LOG = LoggerFactory.getLogger(CleanupWorker.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final String node;
    private final StorageCleaner cleaner;
    private final Supplier<List<Allocation>> referenced;
    private final Clock clock;
    /** The request this process answered last: a Node seen again before its answer arrived is not cleaned twice. */
    private String answered;

    CleanupWorker(KubernetesClient client, String node, StorageCleaner cleaner, Supplier<List<Allocation>> referenced, Clock clock) {
        this.client = client;
        this.node = node;
        this.cleaner = cleaner;
        this.referenced = referenced;
        this.clock = clock;
    }

    /** Answers the Node's open request, if it has one this agent has not answered yet. */
    synchronized void answer(Node seen) {
        Map<String, String> ann = seen == null || seen.getMetadata().getAnnotations() == null ? Map.of() : seen.getMetadata().getAnnotations();
        String value = ann.get(NodeCleanupRequest.REQUESTED);
        Optional<NodeCleanupRequest> request = NodeCleanupRequest.parse(value);
        if (request.isEmpty() || value.equals(ann.get(NodeCleanupRequest.DONE)) || value.equals(answered)) {
            return;
        }
        NodeCleanupReport report = clean(request.get());
        String json;
        try {
            json = JSON.writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        Writes.edit(client, client.nodes().withName(node), x -> {
            Map<String, String> a = new HashMap<>(x.getMetadata().getAnnotations());
            if (!value.equals(a.get(NodeCleanupRequest.REQUESTED)) || value.equals(a.get(NodeCleanupRequest.DONE))) {
                return x; // a newer request came meanwhile (it gets its own answer), or this one is answered
            }
            a.put(NodeCleanupRequest.DONE, value);
            a.put(NodeCleanupRequest.REPORT, json);
            x.getMetadata().setAnnotations(a);
            return x;
        });
        answered = value;
        LOG.info("node {}: cleanup run {}: {} item(s){}{}", node, report.run(), report.moved().size(),
                report.dryRun() ? " (dry run)" : "", report.error() == null ? "" : "; failed: " + report.error());
    }

    private NodeCleanupReport clean(NodeCleanupRequest request) {
        try {
            List<StorageCleaner.Item> items = cleaner.clean(node, referenced, request.dryRun());
            return new NodeCleanupReport(request.run(), request.dryRun(), items.stream()
                    .map(i -> new NodeCleanupReport.Moved(i.pool(), i.entry(), i.bytes(), i.trash())).toList(), null, clock.instant().toString());
        } catch (RuntimeException e) {
            return new NodeCleanupReport(request.run(), request.dryRun(), List.of(), e.getMessage(), clock.instant().toString());
        }
    }
}
