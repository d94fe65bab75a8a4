package dsp.kubernetes.adapter;

import dsp.core.model.Allocation;
import dsp.core.port.StorageCleaner;
import dsp.kubernetes.Conflicts;
import dsp.kubernetes.Names;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Cleanup in Kubernetes mode: only a node's agent can see its disk, so a run is a request
 * written on the Node ({@code dynamicpools.io/cleanup-requested}); the agent does it and reports
 * on the Node ({@code dynamicpools.io/cleanup-report}).
 */
public final class NodeCleanupRequests implements StorageCleaner {

    public static final String REQUESTED = Names.GROUP + "/cleanup-requested";
    public static final String DONE = Names.GROUP + "/cleanup-done";
    public static final String REPORT = Names.GROUP + "/cleanup-report";

    private final KubernetesClient client;
    private final Clock clock;

    public NodeCleanupRequests(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    @Override
    public List<Item> clean(String server, Supplier<List<Allocation>> referenced, boolean dryRun) {
        String request = clock.instant().toString() + (dryRun ? ";dry-run" : "");
        try {
            Conflicts.retry(() -> client.nodes().withName(server).edit(n -> {
                Map<String, String> a = n.getMetadata().getAnnotations() == null ? new HashMap<>() : new HashMap<>(n.getMetadata().getAnnotations());
                a.put(REQUESTED, request);
                n.getMetadata().setAnnotations(a);
                return n;
            }));
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
        return List.of();
    }
}
