package dsp.kubernetes.controller;

import dsp.api.ApiServices;
import dsp.api.PoolApi;
import dsp.config.PoolConfig;
import dsp.core.ledger.CapacityLedger;
import dsp.core.model.PoolCatalog;
import dsp.core.usecase.CapacityAdmission;
import dsp.core.usecase.FleetLock;
import dsp.core.usecase.PoolQueries;
import dsp.core.usecase.ServerAdministration;
import dsp.core.usecase.TemplateService;
import dsp.core.usecase.VmService;
import dsp.core.usecase.VolumeService;
import dsp.kubernetes.adapter.NodeLabelInventory;
import dsp.kubernetes.adapter.NodeLedgerFeed;
import dsp.kubernetes.adapter.NodeReportedMeter;
import dsp.kubernetes.adapter.PoolVolumeRequests;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.adapter.ReportedTemplates;
import dsp.kubernetes.adapter.VmResourceStore;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.storage.CSIStorageCapacity;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes mode wired: informers feed the core's ports (Nodes, PoolVolumes, node disk reports);
 * each writing role runs only while it holds its Lease. Roles are the guide's workloads:
 * {@code pool-scaling-controller}, {@code k8s-pool-provisioner} (with the VM API, which admits
 * through the same ledger and so shares its Lease) and {@code vm-pool-api}.
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
            throw dsp.core.DomainException.invalid("role '" + text + "' is unknown; roles are scaling, provisioner, api, monitor");
        }
    }

    /** The Lease that admission (the provisioner and the VM API) holds, so one process admits at a time. */
    public static final String ADMISSION_LEASE = "k8s-pool-provisioner";
    public static final String SCALING_LEASE = "pool-scaling-controller";
    /** Objects per page when an informer lists (client-go's pager uses 500). */
    private static final long LIST_PAGE = 500;

    private final KubernetesClient client;
    private final PoolConfig.Configuration config;
    private final PoolCatalog catalog;
    private final NodeLabelInventory inventory;
    private final NodeReportedMeter meter;
    private final FleetLock lock;
    private final String namespace;
    // lease callbacks add to it from their own threads
    private final List<AutoCloseable> closing = new java.util.concurrent.CopyOnWriteArrayList<>();
    private boolean scalingWired;
    private boolean admissionWired;
    private final SharedIndexInformer<Node> nodes;
    private final SharedIndexInformer<PoolVolume> poolVolumes;
    private final CapacityLedger ledger;
    private final PoolVolumeStore store;
    private final PoolQueries queries;
    private final CapacityAdmission admission;
    private final Events events;
    private final String identity;
    private final Clock clock;
    private volatile ScalingController scaling;
    private volatile CapacityPublisher capacityPublisher;
    private SharedIndexInformer<CSIStorageCapacity> capacities;
    private volatile Provisioner provisioner;
    private java.util.function.Supplier<Provisioner> provisionerParts;
    private Leadership admissionLease;
    private Leadership scalingLease;
    private PoolApi api;
    private HealthEndpoint health;
    private final List<SharedIndexInformer<?>> informers = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Shared by the API (which serves it) and the provisioner (which times claims). */
    private final dsp.api.PoolMetrics metrics;

    public ControllerRuntime(KubernetesClient client, PoolConfig.Configuration config, String namespace, String identity, Clock clock) {
        this.client = client;
        this.catalog = config.catalog();
        this.namespace = namespace;
        this.identity = identity;
        this.clock = clock;
        // listed in pages, as client-go's informers do: one answer of 200,000 PoolVolumes is too big for one request
        this.nodes = client.nodes().withLimit(LIST_PAGE).inform();
        this.poolVolumes = client.resources(PoolVolume.class).withLimit(LIST_PAGE).inform();
        closing.add(nodes::close);
        closing.add(poolVolumes::close);
        informers.add(nodes);
        informers.add(poolVolumes);
        // the ledger lives in memory, fed by the informers: PoolVolumes through the store, Nodes and their reports here
        this.ledger = new CapacityLedger(catalog);
        this.store = new PoolVolumeStore(client, poolVolumes, ledger);
        NodeLabelInventory inventory = new NodeLabelInventory(client, nodes);
        NodeReportedMeter meter = new NodeReportedMeter(nodes, node -> measuredOn(store, node));
        new NodeLedgerFeed(nodes, meter, ledger, clock);
        FleetLock lock = new FleetLock();
        this.queries = new PoolQueries(ledger, clock);
        this.admission = new CapacityAdmission(ledger, store, lock, clock, () -> UUID.randomUUID().toString());
        this.events = new Events(client, "dynamic-storage-pools", clock);
        this.config = config;
        this.inventory = inventory;
        this.meter = meter;
        this.lock = lock;
        this.metrics = new dsp.api.PoolMetrics(clock);
    }

    private boolean kubernetesAuth;

    /**
     * Changes through the API then need a bearer token the API server vouches for (TokenReview),
     * of a caller whose own RBAC allows the change (SubjectAccessReview).
     */
    public ControllerRuntime requireKubernetesAuth(boolean on) {
        this.kubernetesAuth = on;
        return this;
    }

    public ControllerRuntime start(Set<Role> roles, Leadership.Timing timing, String host, int apiPort) {
        EnumSet<Role> set = roles.isEmpty() ? EnumSet.of(Role.SCALING, Role.PROVISIONER, Role.API) : EnumSet.copyOf(roles);
        if (set.contains(Role.SCALING)) {
            scalingLease = new Leadership(client, namespace, SCALING_LEASE, identity, timing, this::startScaling, this::stopScaling);
            closing.add(scalingLease);
        }
        if (set.contains(Role.PROVISIONER) || set.contains(Role.API)) {
            admissionLease = new Leadership(client, namespace, ADMISSION_LEASE, identity, timing,
                    () -> startAdmission(set.contains(Role.PROVISIONER)), this::stopAdmission);
            closing.add(admissionLease);
        }
        if (set.contains(Role.API)) {
            startApi(host, apiPort, this::isAdmissionLeader, this::isAdmissionLeader);
        } else if (set.contains(Role.MONITOR)) {
            startApi(host, apiPort, () -> false, () -> true);
            startHealthLog();
        } else {
            health = new HealthEndpoint(host, apiPort, this::unhealthy);
            closing.add(health);
        }
        LOG.info("controller {} started with roles {}", identity, set.stream().map(r -> r.workload).toList());
        return this;
    }

    private synchronized void startScaling() {
        scaling = new ScalingController(client, queries, events, namespace, identity, clock);
        if (capacities == null) {
            capacities = client.storage().v1().csiStorageCapacities().inNamespace(namespace).inform();
            closing.add(capacities::close);
        }
        capacityPublisher = new CapacityPublisher(client, queries, capacities, this::hostnameOf, namespace);
        if (scalingWired) {
            scaling.trigger(); // leading again: the handlers and the resync are already in place
            capacityPublisher.trigger();
            return;
        }
        scalingWired = true;
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
        nodes.addEventHandler(handler(poke));
        poolVolumes.addEventHandler(handler(poke));
        capacities.addEventHandler(handler(publish)); // an object changed or deleted by someone else is put back
        ScheduledExecutorService resync = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "scaling-resync");
            t.setDaemon(true);
            return t;
        });
        resync.scheduleWithFixedDelay(() -> poke.accept(null), 0, 30, TimeUnit.SECONDS);
        closing.add(resync::shutdownNow);
    }

    private synchronized void stopScaling() {
        if (scaling != null) {
            scaling.close();
            scaling = null;
        }
        if (capacityPublisher != null) {
            capacityPublisher.close();
            capacityPublisher = null;
        }
    }

    /** The value of a node's {@code kubernetes.io/hostname} label, which the scheduler matches capacities by. */
    private String hostnameOf(String node) {
        Node n = nodes.getStore().getByKey(node);
        String label = n == null || n.getMetadata().getLabels() == null ? null : n.getMetadata().getLabels().get(dsp.kubernetes.Names.HOSTNAME_LABEL);
        return label == null ? node : label;
    }

    private synchronized void startAdmission(boolean provision) {
        if (!provision || admissionWired) {
            if (provisionerParts != null) {
                provisioner = provisionerParts.get(); // leading again: fresh queues over the same informers
                provisioner.resyncAll();
            }
            return;
        }
        admissionWired = true;
        SharedIndexInformer<PersistentVolumeClaim> claims = client.persistentVolumeClaims().inAnyNamespace().withLimit(LIST_PAGE).inform();
        SharedIndexInformer<PersistentVolume> pvs = client.persistentVolumes().withLimit(LIST_PAGE).inform();
        SharedIndexInformer<StorageClass> classes = client.storage().v1().storageClasses().inform();
        closing.add(claims::close);
        closing.add(pvs::close);
        closing.add(classes::close);
        informers.addAll(List.of(claims, pvs, classes));
        // the provisioner admits in memory under the fleet lock and writes its PoolVolumes afterwards
        CapacityAdmission promising = new CapacityAdmission(ledger, store.promising(), lock, clock, () -> UUID.randomUUID().toString());
        provisionerParts = () -> {
            Provisioner p = new Provisioner(client, catalog, promising, store, claims, pvs, classes, nodes, events, clock).recordTo(metrics);
            closing.add(p);
            return p;
        };
        provisioner = provisionerParts.get();
        provisioner.resyncAll();
        claims.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(PersistentVolumeClaim c) {
                withProvisioner(p -> p.claimChanged(c));
            }

            @Override
            public void onUpdate(PersistentVolumeClaim old, PersistentVolumeClaim c) {
                withProvisioner(p -> p.claimChanged(c));
            }

            @Override
            public void onDelete(PersistentVolumeClaim c, boolean unknownFinalState) {
                withProvisioner(p -> p.claimDeleted(c));
            }
        });
        pvs.addEventHandler(handler(v -> withProvisioner(p -> p.volumeChanged((PersistentVolume) v))));
        classes.addEventHandler(handler(c -> withProvisioner(p -> p.classChanged((StorageClass) c))));
        // after the store has taken the change in, so the provisioner reads what it was told about
        store.onChange(v -> withProvisioner(p -> p.poolVolumeChanged(v)));
    }

    private void withProvisioner(Consumer<Provisioner> action) {
        Provisioner p = provisioner;
        if (p != null) {
            action.accept(p);
        }
    }

    private synchronized void stopAdmission() {
        if (provisioner != null) {
            provisioner.close();
            provisioner = null;
        }
    }

    private void startHealthLog() {
        ScheduledExecutorService log = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pool-monitor");
            t.setDaemon(true);
            return t;
        });
        log.scheduleWithFixedDelay(() -> {
            try {
                var status = queries.status();
                LOG.info("pools {}: {}", status.overall().display(), status.pools().stream()
                        .map(p -> p.pool().statusKey() + " " + p.servers() + " servers, " + p.usagePercent() + "% (" + p.health().display() + ")").toList());
                status.errors().forEach(e -> LOG.warn("CRITICAL {}", e));
                status.warnings().forEach(w -> LOG.warn("WARNING {}", w));
            } catch (RuntimeException e) {
                LOG.warn("pool health check failed: {}", e.getMessage());
            }
        }, 5, 60, TimeUnit.SECONDS);
        closing.add(log::shutdownNow);
    }

    /**
     * @param writable whether changes are accepted here
     * @param ready    what /readyz reports: the VM API is ready only on the admission leader, so its Service routes there
     */
    private void startApi(String host, int port, java.util.function.BooleanSupplier writable, java.util.function.BooleanSupplier ready) {
        PoolVolumeRequests requests = new PoolVolumeRequests(store, catalog);
        VmResourceStore vms = new VmResourceStore(client, store, requests);
        ReportedTemplates templates = new ReportedTemplates(meter, client, () -> inventory.listServers().stream()
                .filter(s -> s.pool().equals(catalog.find(config.vmPool()).map(dsp.core.model.PoolDefinition::label)))
                .map(dsp.core.model.Server::name).collect(java.util.stream.Collectors.toSet()), clock);
        VmService vmService = new VmService(catalog, config.vmPool(), config.serverTypes(), admission, store, vms,
                requests, templates, clock, () -> UUID.randomUUID().toString().replace("-", "").substring(0, 12));
        dsp.core.history.CapacityHistory history = ApiServices.defaultHistory();
        api = new PoolApi(new ApiServices(queries, new ServerAdministration(ledger, inventory, lock, clock), vmService,
                new VolumeService(catalog, admission, store, requests), new TemplateService(templates, store, lock),
                new dsp.core.usecase.CleanupService(inventory, store, new dsp.kubernetes.adapter.NodeCleanupRequests(client, nodes, clock), clock),
                ready, history), metrics);
        api.livenessFrom(this::unhealthy);
        // drain shows its plan only here: moving a disk between nodes would need the agents to stream it (not built)
        api.serveDrains(new dsp.core.usecase.ServerDrain(catalog, inventory, store, vms, admission, requests, java.util.Optional.empty(),
                templates, new dsp.core.usecase.OperationOrder(), () -> UUID.randomUUID().toString()));
        dsp.api.CapacitySampler sampler = new dsp.api.CapacitySampler(queries, history).start(java.time.Duration.ofSeconds(10));
        closing.add(sampler);
        api.guardWrites(writable, "this replica does not hold the " + ADMISSION_LEASE
                + " lease and cannot change anything; retry (the vm-pool-api Service routes to the replica that does)");
        if (kubernetesAuth) {
            api.requireAuthentication(java.util.Optional.of(new dsp.kubernetes.adapter.TokenReviewAuthenticator(client, clock)));
            api.authorizeWith(new dsp.kubernetes.adapter.SubjectAccessReviewAuthorizer(client));
        }
        org.slf4j.Logger audit = org.slf4j.LoggerFactory.getLogger("audit");
        api.auditTo(record -> {
            try {
                audit.info(dsp.json.Json.MAPPER.writeValueAsString(record));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                audit.info("{}", record);
            }
        });
        api.start(host, port);
        closing.add(api::stop);
    }

    /**
     * Liveness: why this process cannot recover by itself (an election that stopped or has not
     * reached its Lease for too long, an informer that stopped), empty while it can.
     */
    public java.util.Optional<String> unhealthy() {
        List<String> problems = new java.util.ArrayList<>();
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
        return problems.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(String.join("; ", problems));
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
    public java.util.Map<String, Integer> provisionerBacklog() {
        Provisioner p = provisioner;
        return p == null ? java.util.Map.of() : p.backlog();
    }

    public PoolQueries queries() {
        return queries;
    }

    public PoolVolumeStore store() {
        return store;
    }

    public int apiPort() {
        return api == null ? -1 : api.port();
    }

    /** For tests: recompute now instead of waiting for the debounce. */
    public void reconcileNow() {
        ScalingController s = scaling;
        if (s != null) {
            s.reconcile();
        }
        CapacityPublisher p = capacityPublisher;
        if (p != null) {
            p.reconcile();
        }
    }

    /** What the agents reported per volume in PoolVolume status, by node then {@code <pool>/<volume>}. */
    /** What the agents reported per volume on one node (PoolVolume status), by {@code <pool>/<volume>}. */
    private static java.util.Map<String, Long> measuredOn(PoolVolumeStore store, String node) {
        java.util.Map<String, Long> out = new java.util.HashMap<>();
        for (PoolVolume v : store.onNode(node)) {
            if (v.getSpec() != null && v.getStatus() != null && v.getStatus().measuredBytes != null) {
                out.put(dsp.core.port.StorageMeter.ServerDiskUsage.volumeKey(v.getSpec().pool, v.getSpec().name), v.getStatus().measuredBytes);
            }
        }
        return out;
    }

    private static <T> ResourceEventHandler<T> handler(Consumer<Object> onAny) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                onAny.accept(obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                onAny.accept(newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                onAny.accept(obj);
            }
        };
    }

    @Override
    public void close() {
        stopScaling();
        stopAdmission();
        for (int i = closing.size() - 1; i >= 0; i--) {
            try {
                closing.get(i).close();
            } catch (Exception e) {
                LOG.debug("closing: {}", e.getMessage());
            }
        }
    }
}
