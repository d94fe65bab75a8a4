package dsp.kubernetes.controller;

import dsp.core.health.FleetStatus;
import dsp.core.ledger.CapacityLedger;
import dsp.core.health.Health;
import dsp.core.health.PoolFigures;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Quantity;
import dsp.core.model.Server;
import dsp.core.usecase.PoolQueries;
import dsp.json.Json;
import dsp.json.StatusJson;
import dsp.kubernetes.Names;
import dsp.kubernetes.Writes;
import dsp.kubernetes.crd.StoragePool;
import dsp.kubernetes.work.WorkQueue;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code pool-scaling-controller} role: on every label change, node change and allocation
 * change it recomputes the pools, writes each StoragePool's status and the ConfigMap key
 * {@code pool-status} (the same JSON as {@code GET /api/v1/pools/status}), and records Events
 * when servers join or leave pools, when pools cross the thresholds and when volumes are stranded.
 * Idempotent: with nothing changed it writes nothing.
 */
public final class ScalingController implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ScalingController.class);
    private static final String KEY = "pools";

    private final KubernetesClient client;
    private final PoolQueries queries;
    private final Events events;
    private final String namespace;
    private final String identity;
    private final Clock clock;
    private final WorkQueue queue;
    private Map<String, Optional<String>> lastLabels;
    private final Map<String, Health> lastHealth = new HashMap<>();
    private final Map<String, Integer> lastStranded = new HashMap<>();

    public ScalingController(KubernetesClient client, PoolQueries queries, Events events, String namespace, String identity, Clock clock) {
        this.client = client;
        this.queries = queries;
        this.events = events;
        this.namespace = namespace;
        this.identity = identity;
        this.clock = clock;
        this.queue = new WorkQueue("pool-scaling-controller", 1, key -> reconcile());
    }

    /** Something changed: reconcile soon (changes arriving together are handled once). */
    public void trigger() {
        queue.addAfter(KEY, Duration.ofMillis(20));
    }

    /** Validate, observe, reconcile: one pass over every pool. */
    public synchronized void reconcile() {
        CapacityLedger ledger = queries.ledger();
        FleetStatus status = queries.status(ledger);
        observeServers(ledger);
        observeDisks(status);
        for (PoolFigures p : status.pools()) {
            writePool(p);
            observeThresholds(p);
        }
        String json;
        try {
            json = Json.MAPPER.writeValueAsString(StatusJson.status(status));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        Writes.Result r = Writes.configMapKey(client, namespace, Names.CONFIG_MAP, Names.POOL_STATUS_KEY, json,
                Map.of(Names.GROUP + "/written-by", identity));
        if (r != Writes.Result.NOOP) {
            LOG.info("ConfigMap {}/{} key {}: {}", namespace, Names.CONFIG_MAP, Names.POOL_STATUS_KEY, r);
        }
    }

    private void observeServers(CapacityLedger ledger) {
        Map<String, Optional<String>> now = new HashMap<>();
        for (Server s : ledger.servers()) {
            now.put(s.name(), s.pool());
        }
        for (PoolNotices.ServerChange change : PoolNotices.serverChanges(lastLabels, now)) {
            String share = ledger.server(change.node()).map(s -> Quantity.humanize(ledger.shareOf(s))).orElse("its share");
            record(nodeRef(change.node()), PoolNotices.serverNotice(change, share));
        }
        lastLabels = now;
    }

    /** Nodes whose disk was found too small for share + reserve, so each gets one Event when it becomes so. */
    private final java.util.Set<String> tooSmall = new java.util.HashSet<>();

    /** The guide's prerequisite (1.8 TB per server by default): a warning Event on a Node whose disk cannot hold it. */
    private void observeDisks(FleetStatus status) {
        java.util.Set<String> now = new java.util.HashSet<>();
        for (FleetStatus.DiskFinding finding : status.diskFindings()) {
            Optional<dsp.core.health.ServerFigures> figures = queries.serverFigures(finding.server());
            if (figures.isPresent()) {
                dsp.core.health.ServerFigures f = figures.get();
                now.add(f.server());
                if (!tooSmall.contains(f.server())) {
                    record(nodeRef(f.server()), PoolNotices.diskTooSmall(f));
                }
            }
        }
        tooSmall.clear();
        tooSmall.addAll(now);
    }

    private static Node nodeRef(String node) {
        return new NodeBuilder().withMetadata(new ObjectMetaBuilder().withName(node).build()).build();
    }

    private void observeThresholds(PoolFigures p) {
        String name = p.pool().name();
        StoragePool ref = PoolStatusModel.poolRef(p.pool());
        PoolNotices.thresholdNotice(lastHealth.put(name, p.health()), p).ifPresent(n -> record(ref, n));
        PoolNotices.strandedNotice(lastStranded.put(name, p.strandedVolumes()), p).ifPresent(n -> record(ref, n));
    }

    private void record(HasMetadata about, PoolNotices.Notice n) {
        if (n.warning()) {
            events.warning(about, n.reason(), n.message());
        } else {
            events.normal(about, n.reason(), n.message());
        }
    }

    private void writePool(PoolFigures p) {
        PoolDefinition d = p.pool();
        var pool = client.resources(StoragePool.class).withName(d.name());
        if (Writes.createOrEdit(client, pool, PoolStatusModel.freshPool(d), sp -> sp) == Writes.Result.CREATED) {
            LOG.info("StoragePool {}: CREATED", d.name());
        }
        if (Writes.editStatus(client, pool, sp -> PoolStatusModel.withFigures(sp, p, clock)) == Writes.Result.PATCHED) {
            LOG.info("StoragePool {} status: PATCHED ({} servers, {} GB, {})", d.name(), p.servers(), Quantity.toGb(p.capacity()), p.health().display());
        }
    }

    @Override
    public void close() {
        queue.close();
    }
}
