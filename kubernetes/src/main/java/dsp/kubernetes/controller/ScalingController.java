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
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
        if (lastLabels != null) {
            for (Map.Entry<String, Optional<String>> e : now.entrySet()) {
                Optional<String> before = lastLabels.getOrDefault(e.getKey(), Optional.empty());
                if (!before.equals(e.getValue())) {
                    serverEvent(ledger, e.getKey(), before, e.getValue());
                }
            }
            for (Map.Entry<String, Optional<String>> e : lastLabels.entrySet()) {
                if (!now.containsKey(e.getKey()) && e.getValue().isPresent()) {
                    serverEvent(ledger, e.getKey(), e.getValue(), Optional.empty());
                }
            }
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
                    Node ref = new NodeBuilder().withMetadata(new ObjectMetaBuilder().withName(f.server()).build()).build();
                    events.warning(ref, "DiskTooSmall", "node " + f.server() + "'s disk holds "
                            + Quantity.humanize(f.disk().map(d -> d.filesystemBytes()).orElse(0L)) + ", less than its share plus the system reserve ("
                            + Quantity.humanize(f.required()) + ") in pool " + f.pool().orElse("-"));
                }
            }
        }
        tooSmall.clear();
        tooSmall.addAll(now);
    }

    private void serverEvent(CapacityLedger ledger, String node, Optional<String> from, Optional<String> to) {
        Node ref = new NodeBuilder().withMetadata(new ObjectMetaBuilder().withName(node).build()).build();
        String share = ledger.server(node).map(s -> Quantity.humanize(ledger.shareOf(s))).orElse("its share");
        if (from.isEmpty()) {
            events.normal(ref, "ServerJoinedPool", "node " + node + " joined pool " + to.get() + " (+" + share + ")");
        } else if (to.isEmpty()) {
            events.normal(ref, "ServerLeftPool", "node " + node + " left pool " + from.get() + "; its data stays where it is");
        } else {
            events.normal(ref, "ServerMovedPool", "node " + node + " moved from pool " + from.get() + " to pool " + to.get()
                    + " (" + share + " moved); its data stays where it is");
        }
    }

    private void observeThresholds(PoolFigures p) {
        String name = p.pool().name();
        StoragePool ref = poolRef(p.pool());
        Health before = lastHealth.put(name, p.health());
        if (before != null && before != p.health()) {
            String figures = "usage " + p.usagePercent() + "% allocated, " + p.measuredPercent() + "% measured";
            if (p.health() == Health.HEALTHY) {
                events.normal(ref, "PoolHealthy", "pool " + name + " is healthy again (" + figures + ")");
            } else {
                events.warning(ref, p.health() == Health.CRITICAL ? "PoolCritical" : "PoolWarning",
                        "pool " + name + " is " + p.health().display() + " (" + figures + ")");
            }
        }
        Integer strandedBefore = lastStranded.put(name, p.strandedVolumes());
        if (p.strandedVolumes() > (strandedBefore == null ? 0 : strandedBefore)) {
            events.warning(ref, "VolumesStranded", p.strandedVolumes() + " volume(s) of pool " + name + " ("
                    + Quantity.humanize(p.strandedBytes()) + ") are on nodes outside the pool; their data is untouched");
        }
    }

    private StoragePool poolRef(PoolDefinition d) {
        StoragePool sp = new StoragePool();
        sp.setMetadata(new ObjectMetaBuilder().withName(d.name()).build());
        return sp;
    }

    private void writePool(PoolFigures p) {
        PoolDefinition d = p.pool();
        var pool = client.resources(StoragePool.class).withName(d.name());
        if (Writes.createOrEdit(client, pool, freshPool(d), sp -> sp) == Writes.Result.CREATED) {
            LOG.info("StoragePool {}: CREATED", d.name());
        }
        if (Writes.editStatus(client, pool, sp -> withFigures(sp, p)) == Writes.Result.PATCHED) {
            LOG.info("StoragePool {} status: PATCHED ({} servers, {} GB, {})", d.name(), p.servers(), Quantity.toGb(p.capacity()), p.health().display());
        }
    }

    private StoragePool freshPool(PoolDefinition d) {
        StoragePool sp = poolRef(d);
        StoragePool.Spec spec = new StoragePool.Spec();
        spec.label = d.label();
        spec.share = Quantity.humanize(d.shareBytes()).replace(" ", "");
        spec.storageClass = d.storageClass();
        spec.path = d.path();
        spec.reclaimPolicy = d.reclaimPolicy().display();
        spec.overcommit = d.overcommit();
        sp.setSpec(spec);
        return sp;
    }

    /** The pool's status with these figures; unchanged (so nothing is written) while the figures are the same. */
    private StoragePool withFigures(StoragePool sp, PoolFigures p) {
        StoragePool.Status desired = new StoragePool.Status();
        desired.servers = p.servers();
        desired.capacityGb = Quantity.toGb(p.capacity());
        desired.allocatedGb = Quantity.toGb(p.used());
        desired.usedGb = Quantity.toGb(p.measured());
        desired.availableGb = Quantity.toGb(p.available());
        desired.usagePercentage = p.usagePercent();
        desired.health = p.health().display();
        desired.strandedVolumes = p.strandedVolumes();
        StoragePool.Status current = sp.getStatus();
        if (current != null && sameFigures(current, desired)) {
            return sp;
        }
        java.time.Instant now = clock.instant();
        desired.observedAt = now.toString();
        desired.conditions = Conditions.transition(current == null ? null : current.conditions, new ConditionBuilder().withType("Healthy")
                .withStatus(p.health() == Health.HEALTHY ? "True" : "False")
                .withReason(p.health() == Health.HEALTHY ? "BelowThresholds" : p.health() == Health.CRITICAL ? "Critical" : "Warning")
                .withMessage(p.servers() + " server(s), " + p.usagePercent() + "% allocated").build(), now);
        sp.setStatus(desired);
        return sp;
    }

    private static boolean sameFigures(StoragePool.Status a, StoragePool.Status b) {
        return Objects.equals(a.servers, b.servers) && Objects.equals(a.capacityGb, b.capacityGb)
                && Objects.equals(a.allocatedGb, b.allocatedGb) && Objects.equals(a.usedGb, b.usedGb)
                && Objects.equals(a.availableGb, b.availableGb) && Objects.equals(a.usagePercentage, b.usagePercentage)
                && Objects.equals(a.health, b.health) && Objects.equals(a.strandedVolumes, b.strandedVolumes);
    }

    @Override
    public void close() {
        queue.close();
    }
}
