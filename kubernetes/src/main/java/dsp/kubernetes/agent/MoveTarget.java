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
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of a drain's move: makes a copy PoolVolume on this node real by fetching the
 * moved volume's image from the agent of the node it is on ({@link MoveSource}), under a
 * temporary name, checked against the sender's sha256 and as an import, a qcow2 overlay pointed
 * at this node's own template; then puts it in place and reports the copy Ready. On any failure
 * nothing of it is left and the copy is reported Failed, for good: the controller then abandons
 * the move and the volume stays where it was; but a transfer broken off because this agent stops
 * (or the copy's record is deleted) is no failure of the copy: its status stays, and the next
 * agent fetches it again. Transfers run on their own few threads, never the reconcilers'. The controller, not this agent, switches the
 * volume's record once it sees Ready.
 */
final class MoveTarget implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MoveTarget.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Transfers at once; more wait in line (bounded), and past that the copy's reconcile is retried later. */
    private static final int TRANSFERS = 2;
    /** How often a fetch the source answers busy (409) is tried again, backing off to 5 s: about half a minute in all. */
    private static final int BUSY_RETRIES = 10;

    /** A fetch under way: stopping it breaks its connection, and it then leaves nothing and writes no status. */
    private static final class Transfer {
        volatile HttpURLConnection connection;
        volatile boolean stopped;

        void stop() {
            stopped = true;
            HttpURLConnection c = connection;
            if (c != null) {
                c.disconnect();
            }
        }
    }

    private final KubernetesClient client;
    private final String node;
    private final dsp.core.model.PoolCatalog catalog;
    private final Supplier<NodeStorage> storage;
    private final PoolVolumeWrites writes;
    private final Supplier<String> token;
    private final Duration stall;
    private final Map<String, Transfer> underWay = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor transfers;
    private volatile boolean closed;

    /**
     * @param token this agent's own pod token, which the source checks (read on every fetch: the kubelet rotates it)
     * @param stall how long a peer may send nothing before the transfer is given up (the copy then fails)
     */
    MoveTarget(KubernetesClient client, String node, dsp.core.model.PoolCatalog catalog, Supplier<NodeStorage> storage,
               PoolVolumeWrites writes, Supplier<String> token, Duration stall) {
        this.client = client;
        this.node = node;
        this.catalog = catalog;
        this.storage = storage;
        this.writes = writes;
        this.token = token;
        this.stall = stall;
        // transfers on their own threads: a slow or stalled peer never holds up the reconciles of this node's volumes
        this.transfers = new ThreadPoolExecutor(TRANSFERS, TRANSFERS, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(32), r -> {
            Thread t = new Thread(r, "move-target-" + node);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts fetching the copy unless it is done (Ready), given up (Failed) or being fetched; never waits for the transfer. */
    void reconcile(PoolVolume copy, Allocation a) {
        String name = copy.getMetadata().getName();
        String phase = copy.getStatus() == null ? null : copy.getStatus().phase;
        if ("Ready".equals(phase) || "Failed".equals(phase) || closed) {
            return;
        }
        Transfer transfer = new Transfer();
        if (underWay.putIfAbsent(name, transfer) != null) {
            return;
        }
        try {
            transfers.execute(() -> {
                try {
                    fetchOrFail(copy, a, transfer);
                } finally {
                    underWay.remove(name, transfer);
                }
            });
        } catch (RejectedExecutionException e) {
            underWay.remove(name, transfer);
            throw DomainException.conflict("this node is receiving " + TRANSFERS + " volumes and more are waiting; the copy of "
                    + a.name() + " starts later"); // retried with backoff
        }
    }

    /**
     * Stops the fetch of this copy if one is under way (its record is being deleted): true when one
     * was, and the deletion must wait until it has cleaned up after itself.
     */
    boolean stop(String copyName) {
        Transfer t = underWay.get(copyName);
        if (t == null) {
            return false;
        }
        t.stop();
        return true;
    }

    private void fetchOrFail(PoolVolume copy, Allocation a, Transfer transfer) {
        String name = copy.getMetadata().getName();
        try {
            fetch(copy, a, transfer);
        } catch (RuntimeException e) {
            discardQuietly(a);
            if (transfer.stopped || closed || Thread.currentThread().isInterrupted()) {
                // the agent is stopping or the copy is being deleted: nothing is wrong with the copy; it is fetched again
                // when the agent is back (its status stays as it was), or not at all
                LOG.info("PoolVolume {}: copy of {} stopped ({}); nothing of it is left", name, a.name(), e.getMessage());
                return;
            }
            LOG.warn("PoolVolume {}: copy of {} to node {} failed: {}", name, a.name(), node, e.getMessage());
            writes.status(name, PoolVolumeWrites.status("Failed", null, e.getMessage(), null, null));
        }
    }

    private void fetch(PoolVolume seen, Allocation a, Transfer transfer) {
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
        try {
            HttpURLConnection c;
            int status;
            // 409: the source is busy with the image (another fetch of it, e.g. a stopped agent's, still being sent): a while later
            for (int attempt = 0; ; attempt++) {
                c = (HttpURLConnection) URI.create(address + MoveSource.PATH + name).toURL().openConnection();
                transfer.connection = c;
                if (transfer.stopped) {
                    throw new IOException("stopped");
                }
                c.setConnectTimeout(10_000);
                c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, stall.toMillis()));
                c.setRequestProperty("Authorization", "Bearer " + token.get());
                status = c.getResponseCode();
                if (status != 409 || attempt >= BUSY_RETRIES) {
                    break;
                }
                c.disconnect();
                try {
                    Thread.sleep(Math.min(5_000L, 250L << attempt));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("stopped");
                }
            }
            String sha = c.getHeaderField(MoveSource.SHA256_HEADER);
            if (status != 200 || sha == null) {
                try (InputStream error = c.getErrorStream() != null ? c.getErrorStream() : c.getInputStream()) {
                    throw DomainException.storageFailed("the agent on node " + source + " refused to send it (" + status + "): " + reason(error));
                }
            }
            try (InputStream body = c.getInputStream()) {
                storage.get().receiver().receive(a, template, body, sha);
            }
        } catch (SocketTimeoutException e) {
            throw DomainException.storageFailed("the agent on node " + source + " at " + address + " sent nothing for " + stall.toSeconds()
                    + " s; the transfer is given up");
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot reach the agent on node " + source + " at " + address + " ("
                    + (e.getMessage() == null ? "no answer" : e.getMessage()) + ")");
        }
        if (transfer.stopped) {
            throw DomainException.storageFailed("stopped before it was put in place");
        }
        storage.get().copier().publish(a);
        var maker = storage.get().maker();
        String path = VolumeLayout.nodePath(catalog.require(a.pool()).path(), a);
        writes.status(name, PoolVolumeWrites.status("Ready", path, null, maker.measuredBytes(a), maker.presentedBytes(a)));
        LOG.info("PoolVolume {}: {} copied from node {} to node {}, verified and in place", name, a.name(), source, node);
    }

    /** The agent stops: transfers under way break off, leave nothing, and are fetched again by the next agent. */
    @Override
    public void close() {
        closed = true;
        underWay.values().forEach(Transfer::stop);
        transfers.shutdownNow();
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
        String text = body == null ? "" : new String(body.readNBytes(4096), StandardCharsets.UTF_8);
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
