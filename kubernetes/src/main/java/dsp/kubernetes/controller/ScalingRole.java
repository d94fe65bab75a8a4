package dsp.kubernetes.controller;

import dsp.core.usecase.PoolQueries;
import dsp.kubernetes.Names;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.storage.CSIStorageCapacity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * pool-scaling-controller while this process holds its Lease: the scaling controller and the
 * CSIStorageCapacity publisher, poked by Node and PoolVolume changes and every 30 s.
 */
final class ScalingRole implements AutoCloseable {

    private final KubernetesClient client;
    private final PoolQueries queries;
    private final Events events;
    private final String namespace;
    private final String identity;
    private final Clock clock;
    private final SharedIndexInformer<Node> nodes;
    private final SharedIndexInformer<PoolVolume> poolVolumes;
    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();
    private boolean wired;
    private volatile ScalingController scaling;
    private volatile CapacityPublisher capacityPublisher;
    private SharedIndexInformer<CSIStorageCapacity> capacities;

    ScalingRole(KubernetesClient client, PoolQueries queries, Events events, String namespace, String identity, Clock clock,
                SharedIndexInformer<Node> nodes, SharedIndexInformer<PoolVolume> poolVolumes) {
        this.client = client;
        this.queries = queries;
        this.events = events;
        this.namespace = namespace;
        this.identity = identity;
        this.clock = clock;
        this.nodes = nodes;
        this.poolVolumes = poolVolumes;
    }

    /** The Lease is ours. */
    synchronized void lead() {
        scaling = new ScalingController(client, queries, events, namespace, identity, clock);
        if (capacities == null) {
            capacities = client.storage().v1().csiStorageCapacities().inNamespace(namespace).inform();
            closing.add(capacities::close);
        }
        capacityPublisher = new CapacityPublisher(client, queries, capacities, this::hostnameOf, namespace);
        if (wired) {
            scaling.trigger(); // leading again: the handlers and the resync are already in place
            capacityPublisher.trigger();
            return;
        }
        wired = true;
        Consumer<Object> publish = x -> {
            CapacityPublisher p = capacityPublisher;
            if (p != null) {
                p.trigger();
            }
        };
        Consumer<Object> poke = x -> {
            ScalingController s = scaling;
            if (s != null) {
                s.trigger();
            }
            publish.accept(x);
        };
        nodes.addEventHandler(Informers.onAny(poke));
        poolVolumes.addEventHandler(Informers.onAny(poke));
        capacities.addEventHandler(Informers.onAny(publish)); // an object changed or deleted by someone else is put back
        ScheduledExecutorService resync = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "scaling-resync");
            t.setDaemon(true);
            return t;
        });
        resync.scheduleWithFixedDelay(() -> poke.accept(null), 0, 30, TimeUnit.SECONDS);
        closing.add(resync::shutdownNow);
    }

    /** The Lease is lost. */
    synchronized void follow() {
        if (scaling != null) {
            scaling.close();
            scaling = null;
        }
        if (capacityPublisher != null) {
            capacityPublisher.close();
            capacityPublisher = null;
        }
    }

    /** Recompute now instead of waiting for the debounce. */
    void reconcileNow() {
        ScalingController s = scaling;
        if (s != null) {
            s.reconcile();
        }
        CapacityPublisher p = capacityPublisher;
        if (p != null) {
            p.reconcile();
        }
    }

    /** The value of a node's {@code kubernetes.io/hostname} label, which the scheduler matches capacities by. */
    private String hostnameOf(String node) {
        Node n = nodes.getStore().getByKey(node);
        String label = n == null || n.getMetadata().getLabels() == null ? null : n.getMetadata().getLabels().get(Names.HOSTNAME_LABEL);
        return label == null ? node : label;
    }

    @Override
    public void close() {
        follow();
        Informers.closeAll(closing);
    }
}
