package dsp.kubernetes.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeLayout;
import dsp.core.vm.Template;
import dsp.kubernetes.Names;
import dsp.kubernetes.crd.NodeDiskReport;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of a drain's move: makes a copy PoolVolume on this node real by fetching the
 * moved volume's image from the agent of the node it is on ({@link MoveSource}), under a
 * temporary name, checked against the sender's sha256 and as an import, a qcow2 overlay pointed
 * at this node's own template; then puts it in place and reports the copy Ready. On any failure
 * nothing of it is left and the copy is reported Failed, for good: the controller then abandons
 * the move and the volume stays where it was. The controller, not this agent, switches the
 * volume's record once it sees Ready.
 */
final class MoveTarget {

    private static final Logger LOG = LoggerFactory.getLogger(MoveTarget.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final String node;
    private final dsp.core.model.PoolCatalog catalog;
    private final Supplier<NodeStorage> storage;
    private final PoolVolumeWrites writes;
    private final Supplier<String> token;
    private final HttpClient http;

    /** @param token this agent's own pod token, which the source checks (read on every fetch: the kubelet rotates it) */
    MoveTarget(KubernetesClient client, String node, dsp.core.model.PoolCatalog catalog, Supplier<NodeStorage> storage,
               PoolVolumeWrites writes, Supplier<String> token) {
        this.client = client;
        this.node = node;
        this.catalog = catalog;
        this.storage = storage;
        this.writes = writes;
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** Fetches the copy unless it is done (Ready) or given up (Failed). */
    void reconcile(PoolVolume copy, Allocation a) {
        String name = copy.getMetadata().getName();
        String phase = copy.getStatus() == null ? null : copy.getStatus().phase;
        if ("Ready".equals(phase) || "Failed".equals(phase)) {
            return;
        }
        try {
            fetch(copy, a);
        } catch (RuntimeException e) {
            discardQuietly(a);
            LOG.warn("PoolVolume {}: copy of {} to node {} failed: {}", name, a.name(), node, e.getMessage());
            writes.status(name, PoolVolumeWrites.status("Failed", null, e.getMessage(), null, null));
        }
    }

    private void fetch(PoolVolume seen, Allocation a) {
        String name = seen.getMetadata().getName();
        // the watch may lag behind this agent's own last report: a copy already Ready (in place) must not be fetched again
        PoolVolume copy = client.resources(PoolVolume.class).withName(name).get();
        String phase = copy == null || copy.getStatus() == null ? null : copy.getStatus().phase;
        if (copy == null || copy.getMetadata().getDeletionTimestamp() != null || "Ready".equals(phase) || "Failed".equals(phase)) {
            return;
        }
        String owner = copy.getSpec().owner;
        PoolVolume moved = owner == null ? null : client.resources(PoolVolume.class).withName(owner).get();
        if (moved == null || moved.getSpec() == null) {
            throw DomainException.storageFailed("the volume this is a copy of is gone");
        }
        String source = moved.getSpec().node;
        if (node.equals(source)) {
            return; // switched to this copy already: it was Ready, the controller is finishing
        }
        String address = peerAddress(source).orElseThrow(() -> DomainException.storageFailed("the agent on node " + source
                + " publishes no address to fetch volumes from (is it running?)"));
        Optional<Template> template = a.template().flatMap(storage.get().templates()::findTemplate);
        if (a.template().isPresent() && template.isEmpty()) {
            throw DomainException.storageFailed("template " + a.template().get() + " that the disk is based on is not on node " + node);
        }
        writes.status(name, PoolVolumeWrites.status("Pending", null, "copying from node " + source, null, null));
        HttpResponse<InputStream> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create(address + MoveSource.PATH + name)).GET()
                    .header("Authorization", "Bearer " + token.get()).build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot reach the agent on node " + source + " at " + address + " ("
                    + (e.getMessage() == null ? "no answer" : e.getMessage()) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw DomainException.storageFailed("interrupted while fetching from node " + source);
        }
        try (InputStream body = r.body()) {
            String sha = r.headers().firstValue(MoveSource.SHA256_HEADER).orElse(null);
            if (r.statusCode() != 200 || sha == null) {
                throw DomainException.storageFailed("the agent on node " + source + " refused to send it (" + r.statusCode() + "): "
                        + reason(body));
            }
            storage.get().receiver().receive(a, template, body, sha);
        } catch (IOException e) {
            throw DomainException.storageFailed("the transfer from node " + source + " broke off: " + e.getMessage());
        }
        storage.get().copier().publish(a);
        var maker = storage.get().maker();
        String path = VolumeLayout.nodePath(catalog.require(a.pool()).path(), a);
        writes.status(name, PoolVolumeWrites.status("Ready", path, null, maker.measuredBytes(a), maker.presentedBytes(a)));
        LOG.info("PoolVolume {}: {} copied from node {} to node {}, verified and in place", name, a.name(), source, node);
    }

    /** Where the agent of {@code source} serves moving volumes, from its disk report. */
    private Optional<String> peerAddress(String source) {
        Node n = client.nodes().withName(source).get();
        String report = n == null || n.getMetadata().getAnnotations() == null ? null : n.getMetadata().getAnnotations().get(Names.DISK_REPORT_ANNOTATION);
        if (report == null) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(JSON.readValue(report, NodeDiskReport.class).peerAddress()).filter(s -> !s.isBlank());
        } catch (IOException malformed) {
            return Optional.empty();
        }
    }

    private static String reason(InputStream body) throws IOException {
        String text = new String(body.readNBytes(4096), StandardCharsets.UTF_8);
        try {
            return JSON.readTree(text).path("error").path("message").asText(text);
        } catch (IOException notJson) {
            return text;
        }
    }

    private void discardQuietly(Allocation a) {
        try {
            storage.get().copier().discard(a);
        } catch (RuntimeException e) {
            LOG.warn("discarding the copy of {}: {} (the sweep at start-up removes it)", a.name(), e.getMessage());
        }
    }
}
