package dsp.kubernetes.controller;

import dsp.core.DomainException;
import dsp.core.ledger.CapacityLedger;
import dsp.core.model.PoolCatalog;
import dsp.core.port.OperationRecorder;
import dsp.core.port.StorageMeter;
import dsp.core.usecase.CapacityAdmission;
import dsp.core.usecase.FleetLock;
import dsp.core.usecase.PoolQueries;
import dsp.kubernetes.adapter.NodeLabelInventory;
import dsp.kubernetes.adapter.NodeLedgerFeed;
import dsp.kubernetes.adapter.NodeReportedMeter;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes mode's adapters wired: informers feed the core's ports (Nodes, PoolVolumes, node disk
 * reports); each writing role runs only while it holds its Lease. Roles are the guide's workloads:
 * {@code pool-scaling-controller}, {@code k8s-pool-provisioner} (with the VM API, which admits
 * through the same ledger and so shares its Lease) and {@code vm-pool-api}. The HTTP API is the
 * composition root's {@link ApiFrontend}; this module only says when it may change anything.
 */
public final class ControllerRuntime implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControllerRuntime.class);

    public enum Role {
        SCALING("pool-scaling-controller"), PROVISIONER("k8s-pool-provisioner"), API("vm-pool-api"),
        /** dynamic-pool-monitor: read-only API, metrics and a health line in the log every minute; holds no Lease. */
        MONITOR("dynamic-pool-monitor");

        public final String workload;

        Role(String workload) {
            this.workload = workload;
        }

        public static Role parse(String text) {
            for (Role r : values()) {
                if (r.workload.equals(text) || r.name().toLowerCase(Locale.ROOT).equals(text)) {
                    return r;
                }
            }
            throw DomainException.invalid("role '" + text + "' is unknown; roles are scaling, provisioner, api, monitor");
        }
    }

    /** The Lease that admission (the provisioner and the VM API) holds, so one process admits at a time. */
    public static final String ADMISSION_LEASE = "k8s-pool-provisioner";
    public static final String SCALING_LEASE = "pool-scaling-controller";

    private final KubernetesClient client;
    private final String namespace;
    private final String identity;
    private final ControllerParts parts;
    private final Events events;
    private final SharedIndexInformer<PoolVolume> poolVolumes;
    /** Every informer liveness watches; the admission role adds its own when it first leads. */
    private final List<SharedIndexInformer<?>> informers = new CopyOnWriteArrayList<>();
    // lease callbacks add to it from their own threads
    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();
    private OperationRecorder recorder = OperationRecorder.NONE;
    private Optional<ApiFrontend> frontend = Optional.empty();
    private ScalingRole scaling;
    private AdmissionRole admission;
    private Leadership admissionLease;
    private Leadership scalingLease;
    private ApiFrontend.Served api;
    private HealthEndpoint health;

    public ControllerRuntime(KubernetesClient client, PoolCatalog catalog, String namespace, String identity, Clock clock) {
        this.client = client;
        this.namespace = namespace;
        this.identity = identity;
        // listed in pages, as client-go's informers do: one answer of 200,000 PoolVolumes is too big for one request
        SharedIndexInformer<Node> nodes = client.nodes().withLimit(Informers.LIST_PAGE).inform();
        this.poolVolumes = client.resources(PoolVolume.class).withLimit(Informers.LIST_PAGE).runnableInformer(0); // run by the store
        closing.add(nodes::close);
        closing.add(poolVolumes::close);
        informers.add(nodes);
        informers.add(poolVolumes);
        // the ledger lives in memory, fed by the informers: PoolVolumes through the store, Nodes and their reports here
        CapacityLedger ledger = new CapacityLedger(catalog);
        PoolVolumeStore store = PoolVolumeStore.informing(client, poolVolumes, ledger);
        NodeLabelInventory inventory = new NodeLabelInventory(client, nodes);
        NodeReportedMeter meter = new NodeReportedMeter(nodes, node -> measuredOn(store, node));
        new NodeLedgerFeed(nodes, meter, ledger, clock);
        FleetLock lock = new FleetLock();
        PoolQueries queries = new PoolQueries(ledger, clock);
        CapacityAdmission admission = new CapacityAdmission(ledger, store, lock, clock, () -> UUID.randomUUID().toString());
        this.parts = new ControllerParts(client, catalog, clock, ledger, store, queries, admission, lock, inventory, meter, nodes);
        this.events = new Events(client, "dynamic-storage-pools", clock);
    }

    /** Where the provisioner counts the claims it finished (the composition root's metrics). */
    public ControllerRuntime recordTo(OperationRecorder recorder) {
        this.recorder = recorder;
        return this;
    }

    /** The HTTP API of the api and monitor roles. */
    public ControllerRuntime serveWith(ApiFrontend frontend) {
        this.frontend = Optional.of(frontend);
        return this;
    }

    public ControllerRuntime start(Set<Role> roles, Leadership.Timing timing, String host, int apiPort) {
        EnumSet<Role> set = roles.isEmpty() ? EnumSet.of(Role.SCALING, Role.PROVISIONER, Role.API) : EnumSet.copyOf(roles);
        if ((set.contains(Role.API) || set.contains(Role.MONITOR)) && frontend.isEmpty()) {
            throw new IllegalStateException("the api and monitor roles serve HTTP: give the runtime an ApiFrontend");
        }
        if (set.contains(Role.SCALING)) {
            scaling = new ScalingRole(client, parts.queries(), events, namespace, identity, parts.clock(), parts.nodes(), poolVolumes);
            closing.add(scaling);
            scalingLease = new Leadership(client, namespace, SCALING_LEASE, identity, timing, scaling::lead, scaling::follow);
            closing.add(scalingLease);
        }
        if (set.contains(Role.PROVISIONER) || set.contains(Role.API)) {
            admission = new AdmissionRole(parts, events, recorder, informers);
            closing.add(admission);
            boolean provision = set.contains(Role.PROVISIONER);
            admissionLease = new Leadership(client, namespace, ADMISSION_LEASE, identity, timing,
                    () -> admission.lead(provision), admission::follow);
            closing.add(admissionLease);
        }
        if (set.contains(Role.API)) {
            serveApi(new ApiFrontend.Access(this::isAdmissionLeader, this::isAdmissionLeader, this::unhealthy), host, apiPort);
        } else if (set.contains(Role.MONITOR)) {
            serveApi(new ApiFrontend.Access(() -> false, () -> true, this::unhealthy), host, apiPort);
            closing.add(new PoolHealthLog(parts.queries()));
        } else {
            health = new HealthEndpoint(host, apiPort, this::unhealthy);
            closing.add(health);
        }
        LOG.info("controller {} started with roles {}", identity, set.stream().map(r -> r.workload).toList());
        return this;
    }

    private void serveApi(ApiFrontend.Access access, String host, int port) {
        api = frontend.orElseThrow().serve(parts, access, host, port);
        closing.add(api);
    }

    /**
     * Liveness: why this process cannot recover by itself (an election that stopped or has not
     * reached its Lease for too long, an informer that stopped), empty while it can.
     */
    public Optional<String> unhealthy() {
        List<String> problems = new ArrayList<>();
        for (Leadership l : java.util.Arrays.asList(scalingLease, admissionLease)) {
            if (l != null && !l.healthy()) {
                problems.add(l.health());
            }
        }
        for (SharedIndexInformer<?> i : informers) {
            if (!i.isRunning()) {
                problems.add("an informer stopped: " + i.getApiTypeClass().getSimpleName());
            }
        }
        if (!problems.isEmpty()) {
            LOG.warn("not alive: {}", problems);
        }
        return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
    }

    /** The port of /healthz: the API's, or the health endpoint's when no API runs here. */
    public int healthPort() {
        return api != null ? api.port() : health == null ? -1 : health.port();
    }

    public boolean isAdmissionLeader() {
        return admissionLease != null && admissionLease.isLeader();
    }

    public boolean isScalingLeader() {
        return scalingLease != null && scalingLease.isLeader();
    }

    /** What waits in each of the provisioner's lanes; empty while this process does not provision. */
    public Map<String, Integer> provisionerBacklog() {
        return admission == null ? Map.of() : admission.backlog();
    }

    public PoolQueries queries() {
        return parts.queries();
    }

    public PoolVolumeStore store() {
        return parts.store();
    }

    public int apiPort() {
        return api == null ? -1 : api.port();
    }

    /** For tests: recompute now instead of waiting for the debounce. */
    public void reconcileNow() {
        if (scaling != null) {
            scaling.reconcileNow();
        }
    }

    /** What the agents reported per volume on one node (PoolVolume status), by {@code <pool>/<volume>}. */
    private static Map<String, Long> measuredOn(PoolVolumeStore store, String node) {
        Map<String, Long> out = new HashMap<>();
        for (PoolVolume v : store.onNode(node)) {
            if (v.getSpec() != null && v.getStatus() != null && v.getStatus().measuredBytes != null) {
                out.put(StorageMeter.ServerDiskUsage.volumeKey(v.getSpec().pool, v.getSpec().name), v.getStatus().measuredBytes);
            }
        }
        return out;
    }

    @Override
    public void close() {
        if (scaling != null) {
            scaling.follow();
        }
        if (admission != null) {
            admission.follow();
        }
        Informers.closeAll(closing);
    }
}
