package dsp.kubernetes.controller;

import dsp.core.ledger.CapacityLedger;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Server;
import dsp.core.usecase.PoolQueries;
import dsp.kubernetes.Names;
import dsp.kubernetes.Writes;
import dsp.kubernetes.work.WorkQueue;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.CSIStorageCapacity;
import io.fabric8.kubernetes.api.model.storage.CSIStorageCapacityBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells kube-scheduler how much each pool node can still take, so it never picks a node outside
 * the pool or without room: one {@code CSIStorageCapacity} per (pool node, storage class) in our
 * namespace, {@code maximumVolumeSize} and {@code capacity} = the node's free budget in the ledger
 * (what admission would still accept there), {@code nodeTopology} = the node's
 * {@code kubernetes.io/hostname}. The scheduler's VolumeBinding plugin reads these because our
 * {@code CSIDriver} (named after the provisioner) says {@code storageCapacity: true}.
 *
 * <p>Run by the scaling controller's leader. Changes arriving together are published once
 * (debounced); an object is written only when its value changes; a node leaving its pool loses
 * its object. The provisioner's admission stays the guard for races between two claims.
 */
public final class CapacityPublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CapacityPublisher.class);
    private static final String KEY = "capacities";
    /** Marks the objects this publisher owns; anything else in the namespace is left alone. */
    public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY = "pool-scaling-controller";
    private static final int MAX_NAME = 253;

    private final KubernetesClient client;
    private final PoolQueries queries;
    private final SharedIndexInformer<CSIStorageCapacity> published;
    private final Function<String, String> hostnameOf;
    private final String namespace;
    private final WorkQueue queue;

    /**
     * @param published  an informer over the CSIStorageCapacities of {@code namespace}: what is there now
     * @param hostnameOf a node's {@code kubernetes.io/hostname} label (its name when it has none)
     */
    public CapacityPublisher(KubernetesClient client, PoolQueries queries, SharedIndexInformer<CSIStorageCapacity> published,
                             Function<String, String> hostnameOf, String namespace) {
        this.client = client;
        this.queries = queries;
        this.published = published;
        this.hostnameOf = hostnameOf;
        this.namespace = namespace;
        this.queue = new WorkQueue("capacity-publisher", 1, key -> reconcile());
    }

    /** Something changed (a node, an allocation, a published object): publish soon, once for a burst. */
    public void trigger() {
        queue.addAfter(KEY, Duration.ofMillis(20));
    }

    /** One pass: what the ledger says against what is published; writes only the differences. */
    public synchronized void reconcile() {
        Map<String, CSIStorageCapacity> desired = desired(queries.ledger(), hostnameOf, namespace);
        Map<String, CSIStorageCapacity> current = new HashMap<>();
        for (CSIStorageCapacity c : published.getStore().list()) {
            Map<String, String> labels = c.getMetadata().getLabels();
            if (namespace.equals(c.getMetadata().getNamespace()) && labels != null && MANAGED_BY.equals(labels.get(MANAGED_BY_LABEL))) {
                current.put(c.getMetadata().getName(), c);
            }
        }
        for (CSIStorageCapacity want : desired.values()) {
            CSIStorageCapacity have = current.remove(want.getMetadata().getName());
            Writes.Result r = have == null ? create(want) : update(have, want);
            if (r != Writes.Result.NOOP) {
                LOG.info("CSIStorageCapacity {}/{} ({} on {}): {} maximumVolumeSize {}", namespace, want.getMetadata().getName(),
                        want.getStorageClassName(), want.getMetadata().getLabels().get(Names.NODE_LABEL), r,
                        want.getMaximumVolumeSize().getAmount());
            }
        }
        for (CSIStorageCapacity gone : current.values()) {
            delete(gone.getMetadata().getName());
            LOG.info("CSIStorageCapacity {}/{}: DELETED (its node left the pool)", namespace, gone.getMetadata().getName());
        }
    }

    /**
     * The pure model: the objects the ledger asks for, by name. A server outside every pool, or in a
     * pool without a storage class, gets none; an oversold server publishes 0, never a negative size.
     */
    public static Map<String, CSIStorageCapacity> desired(CapacityLedger ledger, Function<String, String> hostnameOf, String namespace) {
        Map<String, CSIStorageCapacity> out = new HashMap<>();
        for (Server s : ledger.servers()) {
            PoolDefinition pool = ledger.poolOf(s).orElse(null);
            if (pool == null || pool.storageClass() == null) {
                continue;
            }
            Quantity free = new Quantity(decimal(Math.max(0, ledger.budgetOf(s))));
            String name = name(pool.storageClass(), s.name());
            out.put(name, new CSIStorageCapacityBuilder()
                    .withNewMetadata().withName(name).withNamespace(namespace)
                    .addToLabels(MANAGED_BY_LABEL, MANAGED_BY)
                    .addToLabels(Names.NODE_LABEL, Names.nodeLabelValue(s.name()))
                    .addToLabels(Names.POOL_NAME_LABEL, pool.name())
                    .endMetadata()
                    .withStorageClassName(pool.storageClass())
                    .withNewNodeTopology().addToMatchLabels(Names.HOSTNAME_LABEL, hostnameOf.apply(s.name())).endNodeTopology()
                    .withCapacity(free)
                    .withMaximumVolumeSize(free)
                    .build());
        }
        return out;
    }

    /**
     * {@code <class>-<node>}, which is a DNS subdomain when both are; past 253 characters the node
     * part becomes a hash, so names stay deterministic and unique.
     */
    public static String name(String storageClass, String node) {
        String plain = storageClass + "-" + node;
        return plain.length() <= MAX_NAME ? plain : storageClass + "-" + Names.sha256(node).substring(0, 32);
    }

    private Writes.Result create(CSIStorageCapacity want) {
        try {
            client.storage().v1().csiStorageCapacities().inNamespace(namespace).resource(want).create();
            return Writes.Result.CREATED;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                trigger(); // made meanwhile (a previous leader): the informer will show it, compare again then
                return Writes.Result.NOOP;
            }
            throw e;
        }
    }

    /**
     * The sizes are patched; the class and the topology cannot change on a real API server, so an
     * object whose node's hostname changed is deleted and made again on the next pass.
     */
    private Writes.Result update(CSIStorageCapacity have, CSIStorageCapacity want) {
        if (!Objects.equals(have.getStorageClassName(), want.getStorageClassName())
                || !Objects.equals(have.getNodeTopology(), want.getNodeTopology())) {
            delete(have.getMetadata().getName());
            trigger();
            return Writes.Result.DELETED;
        }
        if (sameBytes(have.getMaximumVolumeSize(), want.getMaximumVolumeSize()) && sameBytes(have.getCapacity(), want.getCapacity())
                && Objects.equals(have.getMetadata().getLabels(), want.getMetadata().getLabels())) {
            return Writes.Result.NOOP;
        }
        String patch = json(Map.of("metadata", Map.of("labels", want.getMetadata().getLabels()),
                "capacity", want.getCapacity().toString(), "maximumVolumeSize", want.getMaximumVolumeSize().toString()));
        try {
            // on the object we have, so fabric8 sends the patch alone (withName(..).patch GETs it first: a verb RBAC does not grant)
            client.storage().v1().csiStorageCapacities().inNamespace(namespace).resource(have)
                    .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
            return Writes.Result.PATCHED;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                trigger(); // deleted meanwhile: made again on the next pass
                return Writes.Result.NOOP;
            }
            throw e;
        }
    }

    private void delete(String name) {
        try {
            client.storage().v1().csiStorageCapacities().inNamespace(namespace).withName(name).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    /** Bytes in the API server's canonical decimal form (1500000000000 is "1500G"), as kubectl shows it. */
    static String decimal(long bytes) {
        String[] suffixes = {"E", "P", "T", "G", "M", "k"};
        long unit = 1_000_000_000_000_000_000L;
        for (String suffix : suffixes) {
            if (bytes >= unit && bytes % unit == 0) {
                return bytes / unit + suffix;
            }
            unit /= 1000;
        }
        return Long.toString(bytes);
    }

    private static boolean sameBytes(Quantity a, Quantity b) {
        return a != null && b != null && Quantity.getAmountInBytes(a).compareTo(Quantity.getAmountInBytes(b)) == 0;
    }

    private static String json(Object value) {
        try {
            return dsp.json.Json.MAPPER.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        queue.close();
    }
}
