package dsp.kubernetes.controller;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.ReclaimPolicy;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.usecase.CapacityAdmission;
import dsp.kubernetes.Conflicts;
import dsp.kubernetes.JsonPatch;
import dsp.kubernetes.Names;
import dsp.kubernetes.Writes;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.adapter.PoolVolumeStore.ClaimOwner;
import dsp.kubernetes.crd.PoolVirtualMachine;
import dsp.kubernetes.crd.PoolVolume;
import dsp.kubernetes.work.WorkQueue;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TopologySelectorLabelRequirement;
import io.fabric8.kubernetes.api.model.TopologySelectorTerm;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code k8s-pool-provisioner} role: the external-provisioner contract for the pools'
 * storage classes, as kubernetes-sigs/sig-storage-lib-external-provisioner behaves.
 *
 * <p>Three queues, so a claim whose volume is ready never waits behind claims not yet admitted:
 * <ul>
 * <li><b>admissions</b> (claims): a claim that names our provisioner (and, for WaitForFirstConsumer,
 * carries the scheduler's {@code selected-node}) is admitted in memory under the fleet lock, then
 * its PoolVolume {@code pvc-<claim uid>} is written outside the lock (a failed write undoes the
 * admission). No room, or a node outside the pool, removes {@code selected-node} so the scheduler
 * picks again. What a directory cannot be (Block, anything but ReadWriteOnce, a data source, a
 * selector) is refused with an Event and the claim stays Pending. Bound claims that ask for more
 * grow here: ledger and PoolVolume, then the PV, then the claim's status last.</li>
 * <li><b>completions</b> (PoolVolumes): once the node agent reports the volume Ready, the
 * {@code local} PV {@code pvc-<claim uid>} is created with required node affinity, the class's
 * reclaim policy and mount options, and the provisioner's finalizer. A volume whose claim went
 * away before it had a PV is deleted (it was never mounted).</li>
 * <li><b>volumes</b> (PVs): a Released PV whose policy is Delete loses its data, then the PV goes;
 * a Retain PV's volume is marked released and kept, and when that PV is deleted the volume stays
 * as a released volume nobody owns (deletable through the API). The finalizer guarantees a PV of
 * ours is never gone before its volume has been dealt with.</li>
 * </ul>
 * A sweep at start and every few minutes re-queues what may have been missed and deals with VM
 * disks whose VM is gone (the pool's reclaim policy decides).
 */
public final class Provisioner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Provisioner.class);
    /** The external-provisioner library's finalizer on the PVs it provisioned. */
    public static final String PV_FINALIZER = "external-provisioner.volume.kubernetes.io/finalizer";
    /** A VM disk with no VM is left alone this long: the VM API records the VM just after admitting its disk. */
    static final Duration ORPHAN_GRACE = Duration.ofMinutes(10);
    private static final Duration SWEEP_EVERY = Duration.ofMinutes(5);
    private static final String VM_DISK_KIND = "vm-disk";

    private final KubernetesClient client;
    private final PoolCatalog catalog;
    private final CapacityAdmission admission;
    private final PoolVolumeStore volumes;
    private final SharedIndexInformer<PersistentVolumeClaim> claims;
    private final SharedIndexInformer<PersistentVolume> pvs;
    private final SharedIndexInformer<StorageClass> classes;
    private final SharedIndexInformer<Node> nodes;
    private final Events events;
    private final Clock clock;
    private final WorkQueue work;
    private final WorkQueue.Lane completions;
    private final WorkQueue.Lane pvQueue;
    private final WorkQueue.Lane admissions;
    private final ScheduledExecutorService sweeper;
    /** The last refusal told each claim (by uid), so an unchanged refusal is not recorded again on every update. */
    private final Map<String, String> told = new ConcurrentHashMap<>();

    /**
     * @param admission admits into {@link PoolVolumeStore#promising()}: in memory only, this class writes afterwards
     */
    public Provisioner(KubernetesClient client, PoolCatalog catalog, CapacityAdmission admission, PoolVolumeStore volumes,
                       SharedIndexInformer<PersistentVolumeClaim> claims, SharedIndexInformer<PersistentVolume> pvs,
                       SharedIndexInformer<StorageClass> classes, SharedIndexInformer<Node> nodes, Events events, Clock clock) {
        this.client = client;
        this.catalog = catalog;
        this.admission = admission;
        this.volumes = volumes;
        this.claims = claims;
        this.pvs = pvs;
        this.classes = classes;
        this.nodes = nodes;
        this.events = events;
        this.clock = clock;
        // one set of workers; what finishes a claim goes before what starts a new one
        this.work = WorkQueue.withLanes("provisioner", 3);
        this.completions = work.lane("completions", this::reconcilePoolVolume);
        this.pvQueue = work.lane("volumes", this::reconcileVolume);
        this.admissions = work.lane("admissions", this::reconcileClaim);
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "provisioner-sweep");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(this::sweepQuietly, SWEEP_EVERY.toMillis(), SWEEP_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** How many keys wait in each lane, in the order they are served (client-go's workqueue depth: for metrics and tests). */
    public Map<String, Integer> backlog() {
        Map<String, Integer> depths = new java.util.LinkedHashMap<>();
        depths.put("completions", completions.depth());
        depths.put("volumes", pvQueue.depth());
        depths.put("admissions", admissions.depth());
        return depths;
    }

    /** Looks at every claim, volume and PoolVolume again, e.g. after taking over the Lease. */
    public void resyncAll() {
        claims.getStore().list().forEach(this::claimChanged);
        pvs.getStore().list().forEach(this::volumeChanged);
        sweeper.execute(this::sweepQuietly);
    }

    public void claimChanged(PersistentVolumeClaim c) {
        admissions.add(key(c));
        // a claim that went away may leave a volume without a PV behind
        volumes.forClaim(c.getMetadata().getUid()).ifPresent(v -> completions.add(v.getMetadata().getName()));
    }

    /** A claim is gone: its volume, if it never got a PV, goes too. */
    public void claimDeleted(PersistentVolumeClaim c) {
        told.remove(c.getMetadata().getUid());
        claimChanged(c);
    }

    public void volumeChanged(PersistentVolume pv) {
        pvQueue.add(pv.getMetadata().getName());
    }

    /** A PoolVolume changed (its agent made it, or it is gone): its PV may follow, or its PV may go. */
    public void poolVolumeChanged(PoolVolume v) {
        if (v.getSpec() == null || !PoolVolumeStore.CLAIM_KIND.equals(v.getSpec().kind)) {
            return;
        }
        completions.add(v.getMetadata().getName());
        String pv = v.getSpec().name;
        if (pv != null && (pvs.getStore().getByKey(pv) != null || Boolean.TRUE.equals(v.getSpec().released))) {
            pvQueue.add(pv); // its PV may go now (Delete: once the data is gone), or a released volume may lose its owner
        }
    }

    /** A class appeared or changed: claims that waited for it are looked at again (the library retries them). */
    public void classChanged(StorageClass sc) {
        String name = sc.getMetadata().getName();
        for (PersistentVolumeClaim c : claims.getStore().list()) {
            if (name.equals(c.getSpec().getStorageClassName()) && isBlank(c.getSpec().getVolumeName())) {
                admissions.add(key(c));
            }
        }
    }

    // ---------------------------------------------------------------- admissions

    void reconcileClaim(String key) {
        PersistentVolumeClaim claim = claims.getStore().getByKey(key);
        if (claim == null || claim.getSpec() == null) {
            return;
        }
        if (!isBlank(claim.getSpec().getVolumeName())) {
            expandIfAsked(claim);
            return;
        }
        if (claim.getMetadata().getDeletionTimestamp() != null || !namesUs(claim)) {
            return;
        }
        String uid = claim.getMetadata().getUid();
        String volumeName = PoolVolumeStore.CLAIM_VOLUME_PREFIX + uid;
        if (pvs.getStore().getByKey(volumeName) != null) {
            return; // already provisioned: the PV controller binds it
        }
        String className = claim.getSpec().getStorageClassName();
        StorageClass sc = className == null ? null : classes.getStore().getByKey(className);
        if (sc == null) {
            tell(claim, "ProvisioningFailed", "storage class " + className + " does not exist; the claim is provisioned once it does");
            return; // classChanged brings it back
        }
        if (!Names.PROVISIONER.equals(sc.getProvisioner())) {
            return;
        }
        Optional<String> refusal = unsupported(claim);
        if (refusal.isPresent()) {
            tell(claim, "ProvisioningFailed", refusal.get());
            return;
        }
        Optional<PoolDefinition> pool = poolOf(sc);
        if (pool.isEmpty()) {
            tell(claim, "ProvisioningFailed", "storage class " + sc.getMetadata().getName() + " names no configured pool (parameter pool="
                    + param(sc, "pool") + "); pools are " + catalog.pools().stream().map(PoolDefinition::name).toList());
            return;
        }
        String node = selectedNode(claim);
        boolean waitForConsumer = "WaitForFirstConsumer".equals(sc.getVolumeBindingMode());
        if (node == null && waitForConsumer) {
            return; // the scheduler has not chosen a node yet
        }
        Optional<PoolVolume> existing = volumes.forClaim(uid);
        if (existing.isPresent()) {
            completions.add(existing.get().getMetadata().getName());
            return;
        }
        if (volumes.isPromised(volumeName)) {
            return; // being written by the other worker
        }
        if (node != null && !allowedTopologies(sc).isEmpty() && !matches(allowedTopologies(sc), node)) {
            reschedule(claim, node, "node " + node + " is outside storage class " + sc.getMetadata().getName() + "'s allowedTopologies");
            return;
        }
        long bytes;
        try {
            bytes = requestBytes(claim);
        } catch (DomainException e) {
            tell(claim, "ProvisioningFailed", e.getMessage());
            return;
        }
        CapacityAdmission.Request request = new CapacityAdmission.Request(volumeName, pool.get().name(), bytes,
                PoolVolumeStore.CLAIM_KIND, Optional.ofNullable(node), VolumeFormat.DIRECTORY, Optional.empty(),
                Optional.of(new ClaimOwner(claim.getMetadata().getNamespace(), claim.getMetadata().getName()).owner()),
                VolumePhase.PENDING).withId(volumeName);
        if (node == null && !allowedTopologies(sc).isEmpty()) {
            request = request.onlyOn(Optional.of(nodesMatching(allowedTopologies(sc))));
        }
        Allocation admitted;
        try {
            admitted = admission.admit(request); // in memory, under the fleet lock
        } catch (DomainException e) {
            if (volumes.forClaim(uid).isPresent() || volumes.isPromised(volumeName)) {
                return; // admitted meanwhile (a PoolVolume from an earlier run or the other worker)
            }
            switch (e.code()) {
                case STORAGE_FAILED -> throw e; // retried with backoff
                case INVALID -> tell(claim, "ProvisioningFailed", e.getMessage());
                default -> {
                    if (node != null) {
                        reschedule(claim, node, e.getMessage()); // full node, node outside the pool, unknown node
                    } else {
                        tell(claim, "ProvisioningFailed", e.getMessage() + "; retrying");
                        throw e; // Immediate binding: retried with backoff until a node has room
                    }
                }
            }
            return;
        }
        volumes.create(admitted); // outside the lock; a failure withdraws the admission and is retried
        LOG.info("PVC {}: admitted {} bytes on node {} in pool {}", key, bytes, admitted.server(), pool.get().name());
        // the PV follows when the node agent reports the directory ready
    }

    /** What a directory volume cannot be, in the words the claim's owner needs; empty when it can be served. */
    static Optional<String> unsupported(PersistentVolumeClaim claim) {
        var spec = claim.getSpec();
        if ("Block".equals(spec.getVolumeMode())) {
            return Optional.of(Names.PROVISIONER + " does not support block volume provisioning: its volumes are directories "
                    + "(volumeMode Filesystem)");
        }
        List<String> modes = spec.getAccessModes() == null ? List.of() : spec.getAccessModes();
        for (String mode : modes) {
            if ("ReadWriteOncePod".equals(mode)) {
                return Optional.of("access mode ReadWriteOncePod is not supported: Kubernetes enforces it for CSI volumes only and these "
                        + "are local volumes; ask for ReadWriteOnce");
            }
            if (!"ReadWriteOnce".equals(mode)) {
                return Optional.of("access mode " + mode + " is not supported: a local directory is reachable from its own node only "
                        + "and a new one is empty; ask for ReadWriteOnce");
            }
        }
        if (spec.getDataSource() != null || spec.getDataSourceRef() != null) {
            var source = spec.getDataSourceRef() != null ? spec.getDataSourceRef().getKind() + " " + spec.getDataSourceRef().getName()
                    : spec.getDataSource().getKind() + " " + spec.getDataSource().getName();
            return Optional.of("a volume from a data source (" + source + ") is not supported: a new volume is an empty directory; "
                    + "copy the data in after it is bound");
        }
        if (spec.getSelector() != null) {
            return Optional.of("claim selector is not supported: a new volume has no labels to select; remove spec.selector");
        }
        return Optional.empty();
    }

    /** Hands the claim back to the scheduler: without selected-node it picks a node again. */
    private void reschedule(PersistentVolumeClaim claim, String node, String why) {
        LOG.info("PVC {}: cannot provision on node {} ({}); rescheduling", key(claim), node, why);
        recordClaim(claim, Optional.of("rescheduled"));
        try {
            client.persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace()).withName(claim.getMetadata().getName())
                    .patch(PatchContext.of(PatchType.JSON), new JsonPatch().test(JsonPatch.pointer("metadata", "uid"), claim.getMetadata().getUid())
                            .remove(JsonPatch.pointer("metadata", "annotations", Names.SELECTED_NODE_ANN)).json());
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404 && e.getCode() != 422) {
                throw e;
            }
        }
        told.remove(claim.getMetadata().getUid());
        events.warning(claim, "ProvisioningFailed", why + "; asked the scheduler to pick another node");
    }

    /** Records a refusal as a Warning Event on the claim, once per distinct refusal. */
    private void tell(PersistentVolumeClaim claim, String reason, String message) {
        String what = reason + ": " + message;
        if (!what.equals(told.put(claim.getMetadata().getUid(), what))) {
            recordClaim(claim, Optional.of("provisioning_failed"));
            LOG.info("PVC {}: {}", key(claim), what);
            events.warning(claim, reason, message);
        }
    }

    // ---------------------------------------------------------------- expansion

    /**
     * Volume expansion of a bound claim (grow only), for classes that allow it, in an order that
     * converges whatever fails: the ledger and the PoolVolume grow (or the claim gets a
     * {@code VolumeResizeFailed} Event), then the PV, then the claim's status last. Each step is
     * skipped when done, and a failed write is retried. A directory needs no file-system resize.
     */
    private void expandIfAsked(PersistentVolumeClaim claim) {
        String pvName = claim.getSpec().getVolumeName();
        PersistentVolume pv = pvs.getStore().getByKey(pvName);
        if (pv == null || !ours(pv) || claim.getSpec().getResources() == null || claim.getSpec().getResources().getRequests() == null) {
            return;
        }
        Quantity requested = claim.getSpec().getResources().getRequests().get("storage");
        if (requested == null || claim.getStatus() == null || !"Bound".equals(claim.getStatus().getPhase())
                || claim.getStatus().getCapacity() == null || claim.getStatus().getCapacity().get("storage") == null) {
            return; // not bound yet: the PV controller writes the claim's first capacity
        }
        BigInteger want = Quantity.getAmountInBytes(requested).toBigInteger();
        BigInteger onPv = bytes(pv.getSpec().getCapacity() == null ? null : pv.getSpec().getCapacity().get("storage"));
        BigInteger inStatus = bytes(claim.getStatus() == null || claim.getStatus().getCapacity() == null ? null
                : claim.getStatus().getCapacity().get("storage"));
        if (want.compareTo(inStatus) <= 0) {
            return; // nothing asked, or done
        }
        Optional<PoolVolume> volume = volumeOf(pv);
        if (volume.isEmpty()) {
            return;
        }
        String id = volume.get().getMetadata().getName();
        if (want.compareTo(onPv) > 0 || want.compareTo(BigInteger.valueOf(volume.get().getSpec().sizeBytes)) > 0) {
            StorageClass sc = pv.getSpec().getStorageClassName() == null ? null : classes.getStore().getByKey(pv.getSpec().getStorageClassName());
            if (sc == null || !Boolean.TRUE.equals(sc.getAllowVolumeExpansion())) {
                tell(claim, "VolumeResizeFailed", "storage class " + pv.getSpec().getStorageClassName() + " does not allow expansion");
                return;
            }
            if (want.compareTo(BigInteger.valueOf(volume.get().getSpec().sizeBytes)) > 0) {
                try {
                    admission.grow(id, want.longValueExact()); // in memory, under the fleet lock
                } catch (DomainException e) {
                    if (e.code() == DomainException.Code.STORAGE_FAILED) {
                        throw e;
                    }
                    tell(claim, "VolumeResizeFailed", e.getMessage());
                    return;
                }
                volumes.resize(id, want.longValueExact()); // outside the lock; a failure withdraws the growth and is retried
            }
            if (want.compareTo(onPv) > 0) {
                Writes.editExisting(client, client.persistentVolumes().withName(pvName), p -> {
                    p.getSpec().getCapacity().put("storage", requested);
                    return p;
                });
            }
        }
        Conflicts.retry(() -> client.persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace())
                .withName(claim.getMetadata().getName()).editStatus(c -> {
                    if (c.getStatus() == null) {
                        c.setStatus(new PersistentVolumeClaimStatus());
                    }
                    Map<String, Quantity> capacity = c.getStatus().getCapacity() == null ? new HashMap<>() : new HashMap<>(c.getStatus().getCapacity());
                    capacity.put("storage", requested);
                    c.getStatus().setCapacity(capacity);
                    return c;
                }));
        told.remove(claim.getMetadata().getUid());
        LOG.info("PVC {}: expanded {} to {}", key(claim), pvName, requested);
        events.normal(claim, "VolumeResizeSuccessful", "volume " + pvName + " grew to " + requested);
    }

    // ---------------------------------------------------------------- completions

    /** A claim's PoolVolume: Ready becomes a PV; a volume whose claim went away before it had a PV is deleted. */
    void reconcilePoolVolume(String name) {
        PoolVolume v = volumes.object(name).orElse(null);
        if (v == null || v.getSpec() == null || !PoolVolumeStore.CLAIM_KIND.equals(v.getSpec().kind)
                || v.getMetadata().getDeletionTimestamp() != null || Boolean.TRUE.equals(v.getSpec().released)) {
            return;
        }
        PoolVolume.Spec s = v.getSpec();
        if (s.name == null || s.claimUid == null || pvs.getStore().getByKey(s.name) != null) {
            return;
        }
        PersistentVolumeClaim claim = s.claimNamespace == null ? null : claims.getStore().getByKey(s.claimNamespace + "/" + s.claimName);
        boolean claimHere = claim != null && s.claimUid.equals(claim.getMetadata().getUid());
        if (!claimHere || claim.getMetadata().getDeletionTimestamp() != null
                || (!isBlank(claim.getSpec().getVolumeName()) && !s.name.equals(claim.getSpec().getVolumeName()))) {
            deleteIfNeverUsed(v);
            return;
        }
        String phase = v.getStatus() == null ? null : v.getStatus().phase;
        if ("Failed".equals(phase)) {
            tell(claim, "ProvisioningFailed", "node " + s.node + " could not make the volume: " + v.getStatus().message);
            return;
        }
        if (!"Ready".equals(phase)) {
            return; // its agent is making it
        }
        StorageClass sc = claim.getSpec().getStorageClassName() == null ? null : classes.getStore().getByKey(claim.getSpec().getStorageClassName());
        Optional<PoolDefinition> pool = catalog.find(s.pool);
        if (sc == null || pool.isEmpty()) {
            return; // the claim's reconcile says why
        }
        createPv(claim, sc, pool.get(), v);
    }

    /**
     * The claim of this volume is gone (or bound elsewhere) and it has no PV, so nothing ever
     * mounted it: it is deleted. Checked against the API server first, since the caches may lag
     * a PV we just created.
     */
    private void deleteIfNeverUsed(PoolVolume v) {
        PoolVolume.Spec s = v.getSpec();
        if (client.persistentVolumes().withName(s.name).get() != null) {
            return;
        }
        if (s.claimNamespace != null) {
            PersistentVolumeClaim live = client.persistentVolumeClaims().inNamespace(s.claimNamespace).withName(s.claimName).get();
            if (live != null && s.claimUid.equals(live.getMetadata().getUid()) && live.getMetadata().getDeletionTimestamp() == null
                    && (isBlank(live.getSpec().getVolumeName()) || s.name.equals(live.getSpec().getVolumeName()))) {
                return;
            }
        }
        if (!v.getMetadata().getName().equals(s.name)) {
            // made before names derived from the claim (and before the PV finalizer): a PV it had may have gone unseen
            LOG.warn("PoolVolume {}: its claim {}/{} is gone and it has no PV; its data is kept as a released volume",
                    v.getMetadata().getName(), s.claimNamespace, s.claimName);
            volumes.release(v.getMetadata().getName(), Optional.empty());
            return;
        }
        LOG.info("PoolVolume {}: its claim {}/{} is gone and it never had a PV; deleting it", v.getMetadata().getName(),
                s.claimNamespace, s.claimName);
        told.remove(s.claimUid);
        volumes.delete(v.getMetadata().getName());
    }

    private void createPv(PersistentVolumeClaim claim, StorageClass sc, PoolDefinition pool, PoolVolume v) {
        String name = v.getSpec().name;
        Quantity request = claim.getSpec().getResources().getRequests().get("storage");
        PersistentVolume pv = localVolume(claim, sc, pool, v.getSpec().node, name);
        try {
            client.persistentVolumes().resource(pv).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return; // created by an earlier attempt whose answer was lost
            }
            throw e;
        }
        told.remove(claim.getMetadata().getUid());
        LOG.info("PV {}: CREATED for PVC {} on node {} ({})", name, key(claim), v.getSpec().node, request);
        events.normal(claim, "ProvisioningSucceeded", "volume " + name + " on node " + v.getSpec().node + " in pool " + pool.name());
        recordClaim(claim, Optional.empty());
    }

    private dsp.core.port.OperationRecorder recorder = dsp.core.port.OperationRecorder.NONE;

    /** Claims provisioned (timed from the claim's creation to its PV) and refused are counted here (Prometheus metrics). */
    public Provisioner recordTo(dsp.core.port.OperationRecorder recorder) {
        this.recorder = recorder;
        return this;
    }

    private void recordClaim(PersistentVolumeClaim claim, Optional<String> error) {
        java.time.Duration took = java.time.Duration.ZERO;
        try {
            took = java.time.Duration.between(java.time.Instant.parse(claim.getMetadata().getCreationTimestamp()), clock.instant());
        } catch (RuntimeException noTimestamp) {
            // counted without a duration
        }
        recorder.record("claim_provision", took.isNegative() ? java.time.Duration.ZERO : took, error);
    }

    /**
     * The PV of a claim's volume: a {@code local} volume at the pool's path on its node, required
     * node affinity to that node, capacity = the request, the class's reclaim policy and mount
     * options, provisioned-by and the provisioner's finalizer, bound to the claim by uid.
     */
    public static PersistentVolume localVolume(PersistentVolumeClaim claim, StorageClass sc, PoolDefinition pool, String node, String name) {
        return new PersistentVolumeBuilder()
                .withNewMetadata().withName(name)
                .addToAnnotations(Names.PROVISIONED_BY_ANN, Names.PROVISIONER)
                .addToLabels(Names.POOL_NAME_LABEL, pool.name())
                .addToLabels(Names.NODE_LABEL, Names.nodeLabelValue(node))
                .addToFinalizers(PV_FINALIZER)
                .endMetadata()
                .withNewSpec()
                .addToCapacity("storage", claim.getSpec().getResources().getRequests().get("storage"))
                .withAccessModes(claim.getSpec().getAccessModes())
                .withVolumeMode("Filesystem")
                .withPersistentVolumeReclaimPolicy(sc.getReclaimPolicy() == null ? "Delete" : sc.getReclaimPolicy())
                .withStorageClassName(sc.getMetadata().getName())
                .withMountOptions(sc.getMountOptions())
                .withNewLocal().withPath(pool.path() + "/" + name).endLocal()
                .withNewNodeAffinity().withNewRequired().addNewNodeSelectorTerm().addNewMatchExpression()
                .withKey(Names.HOSTNAME_LABEL).withOperator("In").withValues(node)
                .endMatchExpression().endNodeSelectorTerm().endRequired().endNodeAffinity()
                .withClaimRef(new ObjectReferenceBuilder().withApiVersion("v1").withKind("PersistentVolumeClaim")
                        .withNamespace(claim.getMetadata().getNamespace()).withName(claim.getMetadata().getName())
                        .withUid(claim.getMetadata().getUid()).withResourceVersion(claim.getMetadata().getResourceVersion()).build())
                .endSpec().build();
    }

    // ---------------------------------------------------------------- volumes

    /**
     * A PV of ours. Its finalizer is added if missing (PVs made before it existed). Released with
     * policy Delete: the data goes first, then the PV. Retain: the volume is marked released and
     * kept. Deleted (by hand, or after the data went): the volume is dealt with as above, then the
     * finalizer is removed. Gone without us seeing it: its volume is kept as released.
     */
    void reconcileVolume(String name) {
        PersistentVolume pv = pvs.getStore().getByKey(name);
        if (pv == null) {
            volumeGone(name);
            return;
        }
        if (!ours(pv)) {
            return;
        }
        boolean deleting = pv.getMetadata().getDeletionTimestamp() != null;
        boolean hasFinalizer = pv.getMetadata().getFinalizers() != null && pv.getMetadata().getFinalizers().contains(PV_FINALIZER);
        String phase = pv.getStatus() == null ? null : pv.getStatus().getPhase();
        Optional<PoolVolume> volume = volumeOf(pv);
        if (!deleting && !hasFinalizer) {
            setFinalizer(name, true);
        }
        if ("Bound".equals(phase) || (!deleting && !"Released".equals(phase))) {
            return; // in use, or not released: nothing to reclaim
        }
        if ("Delete".equals(pv.getSpec().getPersistentVolumeReclaimPolicy())) {
            if (volume.isPresent()) {
                if (volume.get().getMetadata().getDeletionTimestamp() == null) {
                    LOG.info("PV {}: Released with policy Delete; deleting its data on node {}", name, volume.get().getSpec().node);
                    volumes.delete(volume.get().getMetadata().getName());
                }
                return; // the PV goes once the node agent has removed the data (its PoolVolume's deletion brings us back)
            }
            if (!deleting) {
                client.persistentVolumes().withName(name).delete();
                LOG.info("PV {}: DELETED", name);
                return; // its deletion brings us back to remove the finalizer
            }
        } else if (volume.isPresent()) {
            // Retain: the data stays; while the PV exists it owns the volume, after that nobody does
            Optional<String> owner = deleting ? Optional.empty() : Optional.of(ClaimOwner.VOLUME + name);
            volumes.release(volume.get().getMetadata().getName(), owner);
            if (deleting) {
                LOG.info("PV {}: deleted; its volume {} on node {} is kept (policy Retain) as a released volume", name,
                        volume.get().getMetadata().getName(), volume.get().getSpec().node);
                events.normal(volume.get(), "VolumeRetained", "PV " + name + " was deleted; policy Retain keeps the data on node "
                        + volume.get().getSpec().node + " as released volume " + volume.get().getMetadata().getName()
                        + " until it is deleted (DELETE /api/v1/volumes/" + volume.get().getMetadata().getName() + ")");
            }
        }
        if (deleting && hasFinalizer) {
            setFinalizer(name, false);
        }
    }

    /**
     * A PV of ours is gone. A released volume that the PV still owned is now owned by nobody
     * (deletable through the API). One never released either never had that PV (the finalizer
     * would have made us release it first) or lost it by force: the completion queue decides, and
     * keeps the data unless nothing can have used it.
     */
    private void volumeGone(String pvName) {
        Optional<PoolVolume> volume = volumeNamed(pvName);
        if (volume.isEmpty() || volume.get().getMetadata().getDeletionTimestamp() != null
                || !Boolean.TRUE.equals(volume.get().getSpec().released) || volume.get().getSpec().owner == null) {
            return; // never released: the completion queue looks after it (a PV, or its deletion if the claim is gone)
        }
        if (client.persistentVolumes().withName(pvName).get() != null) {
            return; // our cache lags
        }
        PoolVolume v = volume.get();
        LOG.warn("PV {} is gone; its volume {} on node {} is kept as a released volume", pvName, v.getMetadata().getName(), v.getSpec().node);
        volumes.release(v.getMetadata().getName(), Optional.empty());
    }

    private void setFinalizer(String pvName, boolean present) {
        Writes.edit(client, client.persistentVolumes().withName(pvName), p -> { // gone already: nothing to hold or release
            List<String> f = p.getMetadata().getFinalizers() == null ? new ArrayList<>() : new ArrayList<>(p.getMetadata().getFinalizers());
            if (present && !f.contains(PV_FINALIZER) && p.getMetadata().getDeletionTimestamp() == null) {
                f.add(PV_FINALIZER);
            } else if (!present) {
                f.remove(PV_FINALIZER);
            }
            p.getMetadata().setFinalizers(f);
            return p;
        });
    }

    // ---------------------------------------------------------------- sweep

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException e) {
            LOG.warn("provisioner sweep failed: {}", e.getMessage());
        }
    }

    /**
     * Re-queues every claim volume that may need work (a missed event is caught here) and deals with
     * VM disks whose VM is gone: after a grace period, deleted or kept as released as the pool's
     * reclaim policy says.
     */
    void sweep() {
        Set<String> vmIds = null;
        Instant cutoff = clock.instant().minus(ORPHAN_GRACE);
        for (PoolVolume v : volumes.objects()) {
            PoolVolume.Spec s = v.getSpec();
            if (s == null || v.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            if (PoolVolumeStore.CLAIM_KIND.equals(s.kind)) {
                // only what may need work is queued, so a sweep of a settled fleet puts nothing before new claims
                PersistentVolume pv = s.name == null ? null : pvs.getStore().getByKey(s.name);
                if (pv == null) {
                    completions.add(v.getMetadata().getName()); // its PV is due, or its claim is gone
                }
                if (pv == null ? Boolean.TRUE.equals(s.released) && s.owner != null : unsettled(pv)) {
                    pvQueue.add(s.name);
                }
            } else if (VM_DISK_KIND.equals(s.kind) && s.owner != null && !Boolean.TRUE.equals(s.released)
                    && s.createdAt != null && Instant.parse(s.createdAt).isBefore(cutoff)) {
                if (vmIds == null) {
                    vmIds = client.resources(PoolVirtualMachine.class).inAnyNamespace().list().getItems().stream()
                            .filter(vm -> vm.getSpec() != null && vm.getSpec().id != null).map(vm -> vm.getSpec().id).collect(Collectors.toSet());
                }
                if (!vmIds.contains(s.owner)) {
                    vmGone(v);
                }
            }
        }
    }

    /** A PV of ours that {@link #reconcileVolume} may have work on: not bound, being deleted, or without the finalizer. */
    private static boolean unsettled(PersistentVolume pv) {
        return !"Bound".equals(pv.getStatus() == null ? null : pv.getStatus().getPhase()) || pv.getMetadata().getDeletionTimestamp() != null
                || pv.getMetadata().getFinalizers() == null || !pv.getMetadata().getFinalizers().contains(PV_FINALIZER);
    }

    private void vmGone(PoolVolume disk) {
        PoolVolume.Spec s = disk.getSpec();
        boolean retain = catalog.find(s.pool).map(p -> p.reclaimPolicy() == ReclaimPolicy.RETAIN).orElse(true);
        if (retain) {
            LOG.info("PoolVolume {}: VM {} is gone; pool {} retains its disk, kept as a released volume", disk.getMetadata().getName(), s.owner, s.pool);
            volumes.release(disk.getMetadata().getName(), Optional.empty());
        } else {
            LOG.info("PoolVolume {}: VM {} is gone; pool {} deletes its disk", disk.getMetadata().getName(), s.owner, s.pool);
            volumes.delete(disk.getMetadata().getName());
        }
    }

    // ---------------------------------------------------------------- helpers

    private Optional<PoolVolume> volumeOf(PersistentVolume pv) {
        String pool = pv.getMetadata().getLabels() == null ? null : pv.getMetadata().getLabels().get(Names.POOL_NAME_LABEL);
        return (pool == null ? Optional.<PoolVolume>empty() : volumes.byVolumeName(pool, pv.getMetadata().getName()))
                .or(() -> volumeNamed(pv.getMetadata().getName()));
    }

    /** The PoolVolume whose volume is this PV's, by the claim uid in the PV's name. */
    private Optional<PoolVolume> volumeNamed(String pvName) {
        if (!pvName.startsWith(PoolVolumeStore.CLAIM_VOLUME_PREFIX)) {
            return Optional.empty();
        }
        return volumes.forClaim(pvName.substring(PoolVolumeStore.CLAIM_VOLUME_PREFIX.length()))
                .filter(v -> v.getSpec() != null && pvName.equals(v.getSpec().name));
    }

    private static boolean ours(PersistentVolume pv) {
        return pv.getMetadata().getAnnotations() != null && Names.PROVISIONER.equals(pv.getMetadata().getAnnotations().get(Names.PROVISIONED_BY_ANN));
    }

    private static boolean namesUs(PersistentVolumeClaim claim) {
        Map<String, String> ann = claim.getMetadata().getAnnotations() == null ? Map.of() : claim.getMetadata().getAnnotations();
        return Names.PROVISIONER.equals(ann.getOrDefault(Names.STORAGE_PROVISIONER_ANN, ann.get(Names.BETA_STORAGE_PROVISIONER_ANN)));
    }

    private static String selectedNode(PersistentVolumeClaim claim) {
        Map<String, String> ann = claim.getMetadata().getAnnotations();
        String node = ann == null ? null : ann.get(Names.SELECTED_NODE_ANN);
        return isBlank(node) ? null : node;
    }

    private static List<TopologySelectorTerm> allowedTopologies(StorageClass sc) {
        return sc.getAllowedTopologies() == null ? List.of() : sc.getAllowedTopologies();
    }

    /** A node matches when one term's every requirement holds for its labels (terms are ORed, requirements ANDed). */
    private boolean matches(List<TopologySelectorTerm> terms, String nodeName) {
        Node node = nodes.getStore().getByKey(nodeName);
        return node != null && matches(terms, node);
    }

    private static boolean matches(List<TopologySelectorTerm> terms, Node node) {
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        for (TopologySelectorTerm term : terms) {
            List<TopologySelectorLabelRequirement> reqs = term.getMatchLabelExpressions() == null ? List.of() : term.getMatchLabelExpressions();
            if (reqs.stream().allMatch(r -> r.getValues() != null && r.getValues().contains(labels.get(r.getKey())))) {
                return true;
            }
        }
        return false;
    }

    private Set<String> nodesMatching(List<TopologySelectorTerm> terms) {
        return nodes.getStore().list().stream().filter(n -> matches(terms, n)).map(n -> n.getMetadata().getName()).collect(Collectors.toSet());
    }

    private Optional<PoolDefinition> poolOf(StorageClass sc) {
        String p = param(sc, "pool");
        if (p != null) {
            return catalog.find(p);
        }
        return catalog.pools().stream().filter(d -> sc.getMetadata().getName().equals(d.storageClass())).findFirst();
    }

    private static String param(StorageClass sc, String key) {
        return sc.getParameters() == null ? null : sc.getParameters().get(key);
    }

    private static BigInteger bytes(Quantity q) {
        return q == null ? BigInteger.ZERO : Quantity.getAmountInBytes(q).toBigInteger();
    }

    static long requestBytes(PersistentVolumeClaim claim) {
        Quantity q = claim.getSpec().getResources() == null || claim.getSpec().getResources().getRequests() == null
                ? null : claim.getSpec().getResources().getRequests().get("storage");
        if (q == null) {
            throw DomainException.invalid("claim requests no storage (spec.resources.requests.storage)");
        }
        try {
            return Quantity.getAmountInBytes(q).setScale(0, java.math.RoundingMode.UP).longValueExact();
        } catch (ArithmeticException e) {
            throw DomainException.invalid("claim requests " + q + ", more than any pool can hold");
        }
    }

    private static boolean isBlank(String s) {
        return s == null || s.isEmpty();
    }

    private static String key(PersistentVolumeClaim c) {
        return c.getMetadata().getNamespace() + "/" + c.getMetadata().getName();
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        work.close();
    }
}
