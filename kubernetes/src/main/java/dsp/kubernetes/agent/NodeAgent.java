package dsp.kubernetes.agent;

import dsp.core.model.Names;
import dsp.core.model.PoolCatalog;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.work.WorkQueue;
import dsp.kubernetes.crd.PoolTemplate;
import dsp.kubernetes.crd.PoolVolume;
import dsp.core.port.StorageCleaner;
import java.util.function.Supplier;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent (DaemonSets {@code vm-pool-storage-manager} and {@code k8s-pool-storage-manager}),
 * wired: it watches its own node's PoolVolumes and its own Node, makes the volumes real
 * ({@link VolumeReconciler}), reports the disk ({@link DiskReporter}) and answers cleanup
 * requests ({@link CleanupWorker}). It runs on every node; where the node holds no pool data (no
 * pool label, no PoolVolume) it creates nothing and reports nothing.
 */
public final class NodeAgent implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);

    private final String node;
    private final SharedIndexInformer<PoolVolume> volumes;
    private final SharedIndexInformer<Node> nodes;
    private final WorkQueue queue;
    private final DiskReporter reporter;
    private final CleanupWorker cleanup;
    private final Supplier<NodeStorage> build;
    private volatile NodeStorage storage;
    private final ScheduledExecutorService background;
    private final String vmPoolLabel;
    private final SharedIndexInformer<PoolTemplate> templates;
    private final WorkQueue templateQueue;
    /** Whether its Node was in the vm pool at its last change: joining it is what fetches every template. */
    private final java.util.concurrent.atomic.AtomicBoolean wasInVmPool = new java.util.concurrent.atomic.AtomicBoolean();
    private final KubernetesClient client;
    private volatile MoveSource moveSource;
    private final MoveTarget moveTarget;
    /** What this agent shows a peer it fetches from; set when it takes part in moves ({@link #servePeers}). */
    private volatile Supplier<String> peerToken = () -> {
        throw dsp.core.DomainException.storageFailed("this node's agent takes no part in moves between nodes (it runs without --peer-port)");
    };
    /** A peer that sends nothing for this long has stalled (a whole image is sent in one go, so any pause is short). */
    static final Duration TRANSFER_STALL = Duration.ofSeconds(60);

    /**
     * @param vmPool  the pool whose nodes hold VM templates: while this node is in it, it fetches every PoolTemplate
     * @param storage builds the node storage engine's ports on first use (creating the pool directories)
     * @param cleaner cleans this node's pool directories; never creates anything
     */
    public NodeAgent(KubernetesClient client, String node, PoolCatalog catalog, String vmPool, Supplier<NodeStorage> storage,
                     StorageCleaner cleaner, Clock clock, Duration reportEvery) {
        this(client, node, catalog, vmPool, storage, cleaner, clock, reportEvery, TRANSFER_STALL);
    }

    /** @param transferStall how long a peer sending a moved volume may send nothing before the transfer is given up */
    public NodeAgent(KubernetesClient client, String node, PoolCatalog catalog, String vmPool, Supplier<NodeStorage> storage,
                     StorageCleaner cleaner, Clock clock, Duration reportEvery, Duration transferStall) {
        this.node = Names.requireServer(node);
        this.vmPoolLabel = catalog.require(vmPool).label();
        this.build = storage;
        PoolVolumeWrites writes = new PoolVolumeWrites(client);
        this.background = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "agent-report-" + node);
            t.setDaemon(true);
            return t;
        });
        this.client = client;
        // every field is set before any watch starts: an informer's first events arrive on its own thread at once
        this.volumes = client.resources(PoolVolume.class).withLabel(dsp.kubernetes.Names.NODE_LABEL, dsp.kubernetes.Names.nodeLabelValue(node))
                .runnableInformer(60_000);
        this.moveTarget = new MoveTarget(client, node, catalog, this::storage, writes, () -> peerToken.get(), transferStall);
        VolumeReconciler reconciler = new VolumeReconciler(node, catalog, this::storage, writes, () -> background.execute(this::reportQuietly),
                moveTarget, new SharedPlaces(client, node, () -> volumes.getStore().list()));
        this.templates = client.resources(PoolTemplate.class).runnableInformer(0);
        this.nodes = client.nodes().withField("metadata.name", node).runnableInformer(0); // its own Node only
        this.queue = new WorkQueue("agent-" + node, 2, name -> reconciler.reconcile(volumes.getStore().getByKey(name)));
        this.reporter = new DiskReporter(client, node, this::storage, writes, () -> volumes.getStore().list(), clock);
        this.cleanup = new CleanupWorker(client, node, cleaner, () -> volumes.getStore().list().stream()
                .map(PoolVolumeStore::toAllocation).flatMap(Optional::stream).toList(), clock);
        TemplateImporter importer = new TemplateImporter(client, node, () -> storage().templates(), reporter::reportDisk, clock);
        this.templateQueue = new WorkQueue("templates-" + node, 1, name -> {
            if (inVmPool()) {
                importer.reconcile(templates.getStore().getByKey(name));
            }
        });
        volumes.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(PoolVolume v) {
                queue.add(v.getMetadata().getName());
            }

            @Override
            public void onUpdate(PoolVolume old, PoolVolume v) {
                queue.add(v.getMetadata().getName());
            }

            @Override
            public void onDelete(PoolVolume v, boolean unknown) {
                background.execute(NodeAgent.this::reportQuietly);
            }
        });
        templates.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(PoolTemplate t) {
                templateQueue.add(t.getMetadata().getName());
            }

            @Override
            public void onUpdate(PoolTemplate old, PoolTemplate t) {
                if (!java.util.Objects.equals(source(old), source(t))) { // a new source: fetched again, even where it was refused
                    templateQueue.add(t.getMetadata().getName());
                }
            }

            @Override
            public void onDelete(PoolTemplate t, boolean unknown) {
            }
        });
        // a cleanup request is answered as soon as it is written
        nodes.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Node n) {
                changed(n);
            }

            @Override
            public void onUpdate(Node old, Node n) {
                changed(n);
            }

            @Override
            public void onDelete(Node n, boolean unknown) {
            }
        });
        nodes.run(); // before the others: which pool the node is in decides what their events do
        templates.run();
        volumes.run();
        background.scheduleWithFixedDelay(this::reportQuietly, 0, reportEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static List<String> source(PoolTemplate t) {
        return t.getSpec() == null ? List.of() : java.util.Arrays.asList(t.getSpec().url, t.getSpec().sha256);
    }

    private void changed(Node n) {
        if (node.equals(n.getMetadata().getName())) {
            background.execute(() -> answerCleanup(n));
            boolean inVmPool = inVmPool();
            // joined the vm pool: every template, the ones it lacks are fetched. Not on every other change of
            // its Node (its own disk reports among them): that re-fetched refused images again and again
            boolean joined = !wasInVmPool.getAndSet(inVmPool) && inVmPool;
            if (joined) {
                templates.getStore().list().forEach(t -> templateQueue.add(t.getMetadata().getName()));
            }
        }
    }

    /** Whether this node is labelled into the vm pool, whose nodes each hold every template. */
    private boolean inVmPool() {
        Node n = nodes.getStore().getByKey(node);
        Map<String, String> labels = n == null || n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
        return vmPoolLabel.equals(labels.get(dsp.kubernetes.Names.POOL_LABEL));
    }

    private void answerCleanup(Node n) {
        try {
            cleanup.answer(n);
        } catch (RuntimeException e) {
            LOG.warn("node {}: cleanup answer failed: {}", node, e.getMessage());
        }
    }

    /** A pool label or a PoolVolume on this node: there is pool data to keep real and report. */
    boolean holdsPoolData() {
        Node n = nodes.getStore().getByKey(node);
        Map<String, String> labels = n == null || n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
        return labels.containsKey(dsp.kubernetes.Names.POOL_LABEL) || !volumes.getStore().list().isEmpty();
    }

    /**
     * The node storage engine, built once per process when there is pool data to serve (never
     * before): the pool directories exist, and nothing half-made is left by an earlier run.
     */
    private synchronized NodeStorage storage() {
        if (storage == null) {
            NodeStorage s = build.get();
            int swept = s.maker().sweepTemporaries();
            if (swept > 0) {
                LOG.info("node {}: removed {} half-made item(s) left by an earlier run", node, swept);
            }
            storage = s;
        }
        return storage;
    }

    private void reportQuietly() {
        try {
            answerCleanup(nodes.getStore().getByKey(node));
            if (!holdsPoolData()) {
                return;
            }
            reporter.report();
        } catch (RuntimeException e) {
            LOG.warn("node {}: disk report failed: {}", node, e.getMessage());
        }
    }

    /**
     * Takes part in a drain's moves between nodes: serves the images of this node's volumes that a
     * drain moves to the agents of their target nodes, on {@code host:port}, telling peers (in the
     * disk report) to fetch them at {@code advertised} ({@code http://<pod IP>:<port>}), and fetches
     * the ones moving here showing {@code token} (a token of audience {@link dsp.kubernetes.Names#PEER_AUDIENCE}
     * bound to this pod). The port actually bound is returned.
     */
    public synchronized int servePeers(String host, int port, java.util.function.IntFunction<String> advertised, Supplier<String> token) {
        if (moveSource == null) {
            peerToken = token;
            moveSource = new MoveSource(client, node, this::storage, new dsp.kubernetes.adapter.TokenReviewAuthenticator(client, Clock.systemUTC(), java.util.List.of(dsp.kubernetes.Names.PEER_AUDIENCE)), host, port);
            reporter.advertise(advertised.apply(moveSource.port()));
            background.execute(this::reportQuietly);
        }
        return moveSource.port();
    }

    /** Liveness: its watches and its report loop are running (fabric8 informers reconnect by themselves). */
    public boolean isLive() {
        return volumes.isRunning() && nodes.isRunning() && templates.isRunning() && !background.isShutdown();
    }

    /** Readiness: it has seen its node's PoolVolumes and its Node. */
    public boolean isReady() {
        return isLive() && volumes.hasSynced() && nodes.hasSynced();
    }

    /** For tests: this node's PoolVolumes as the agent sees them. */
    public List<PoolVolume> volumesSeen() {
        return volumes.getStore().list();
    }

    @Override
    public void close() {
        if (moveSource != null) {
            moveSource.close();
        }
        moveTarget.close();
        background.shutdownNow();
        templateQueue.close();
        templates.close();
        nodes.close();
        volumes.close();
        queue.close();
    }
}
