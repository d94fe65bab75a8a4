package dsp.kubernetes.controller;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
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
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TopologySelectorTerm;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    static final String VM_DISK_KIND = "vm-disk";

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
        if (!ClaimModel.forUs(claim)) {
            return;
        }
        String uid = claim.getMetadata().getUid();
        String volumeName = PoolVolumeStore.CLAIM_VOLUME_PREFIX + uid;
        if (pvs.getStore().getByKey(volumeName) != null) {
            return; // already provisioned: the PV controller binds it
        }
        String className = claim.getSpec().getStorageClassName();
        StorageClass sc = className == null ? null : classes.getStore().getByKey(className);
        ClaimModel.Verdict verdict = ClaimModel.verdict(claim, className, sc, catalog);
        if (verdict instanceof ClaimModel.Refuse refuse) {
            tell(claim, "ProvisioningFailed", refuse.message());
            return; // a missing class: classChanged brings it back
        }
        if (!(verdict instanceof ClaimModel.Provision provision)) {
            return; // another provisioner's class, or the scheduler has not chosen a node yet
        }
        PoolDefinition pool = provision.pool();
        String node = provision.node();
        Optional<PoolVolume> existing = volumes.forClaim(uid);
        if (existing.isPresent()) {
            completions.add(existing.get().getMetadata().getName());
            return;
        }
        if (volumes.isPromised(volumeName)) {
            return; // being written by the other worker
        }
        List<TopologySelectorTerm> allowedTopologies = ClaimModel.allowedTopologies(sc);
        if (node != null && !allowedTopologies.isEmpty() && !matches(allowedTopologies, node)) {
            reschedule(claim, node, "node " + node + " is outside storage class " + sc.getMetadata().getName() + "'s allowedTopologies");
            return;
        }
        long bytes;
        try {
            bytes = ClaimModel.requestBytes(claim);
        } catch (DomainException e) {
            tell(claim, "ProvisioningFailed", e.getMessage());
            return;
        }
        CapacityAdmission.Request request = new CapacityAdmission.Request(volumeName, pool.name(), bytes,
                PoolVolumeStore.CLAIM_KIND, Optional.ofNullable(node), VolumeFormat.DIRECTORY, Optional.empty(),
                Optional.of(new ClaimOwner(claim.getMetadata().getNamespace(), claim.getMetadata().getName()).owner()),
                VolumePhase.PENDING).withId(volumeName);
        if (node == null && !allowedTopologies.isEmpty()) {
            request = request.onlyOn(Optional.of(nodesMatching(allowedTopologies)));
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
        LOG.info("PVC {}: admitted {} bytes on node {} in pool {}", key, bytes, admitted.server(), pool.name());
        // the PV follows when the node agent reports the directory ready
    }

    /**
     * Hands the claim back to the scheduler: without selected-node it picks a node again. The Event
     * comes first: a patch whose answer is lost may have been applied, and the retry then sees a
     * claim waiting for the scheduler, with nothing left to say why.
     */
    private void reschedule(PersistentVolumeClaim claim, String node, String why) {
        LOG.info("PVC {}: cannot provision on node {} ({}); rescheduling", key(claim), node, why);
        recordClaim(claim, Optional.of("rescheduled"));
        told.remove(claim.getMetadata().getUid());
        events.warning(claim, "ProvisioningFailed", why + "; asked the scheduler to pick another node");
        try {
            client.persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace()).withName(claim.getMetadata().getName())
                    .patch(PatchContext.of(PatchType.JSON), new JsonPatch().test(JsonPatch.pointer("metadata", "uid"), claim.getMetadata().getUid())
                            .remove(JsonPatch.pointer("metadata", "annotations", Names.SELECTED_NODE_ANN)).json());
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404 && e.getCode() != 422) {
                throw e;
            }
        }
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
        Optional<Expansion> asked = Expansion.asked(claim, pv);
        if (asked.isEmpty()) {
            return; // nothing asked, done, or not bound yet (the PV controller writes the claim's first capacity)
        }
        Optional<PoolVolume> volume = volumeOf(pv);
        if (volume.isEmpty()) {
            return;
        }
        String id = volume.get().getMetadata().getName();
        Quantity requested = asked.get().requested();
        StorageClass sc = pv.getSpec().getStorageClassName() == null ? null : classes.getStore().getByKey(pv.getSpec().getStorageClassName());
        Expansion.Steps steps = asked.get().steps(pv, volume.get().getSpec().sizeBytes, sc);
        if (steps.refusal().isPresent()) {
            tell(claim, "VolumeResizeFailed", steps.refusal().get());
            return;
        }
        if (steps.growVolume()) {
            try {
                admission.grow(id, asked.get().want().longValueExact()); // in memory, under the fleet lock
            } catch (DomainException e) {
                if (e.code() == DomainException.Code.STORAGE_FAILED) {
                    throw e;
                }
                tell(claim, "VolumeResizeFailed", e.getMessage());
                return;
            }
            volumes.resize(id, asked.get().want().longValueExact()); // outside the lock; a failure withdraws the growth and is retried
        }
        if (steps.growPv()) {
            Writes.editExisting(client, client.persistentVolumes().withName(pvName), p -> {
                p.getSpec().getCapacity().put("storage", requested);
                return p;
            });
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
        if (!Completion.mayNeedPv(v) || pvs.getStore().getByKey(v.getSpec().name) != null) {
            return;
        }
        PoolVolume.Spec s = v.getSpec();
        String claimKey = Completion.claimKey(s);
        PersistentVolumeClaim claim = claimKey == null ? null : claims.getStore().getByKey(claimKey);
        switch (Completion.state(v, claim)) {
            case ORPHANED -> {
                deleteIfNeverUsed(v);
                return;
            }
            case FAILED -> {
                tell(claim, "ProvisioningFailed", "node " + s.node + " could not make the volume: " + v.getStatus().message);
                return;
            }
            case MAKING -> {
                return; // its agent is making it
            }
            case READY -> {
                // its PV is due
            }
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
            if (Completion.wantedBy(s, live)) {
                return;
            }
        }
        if (Completion.keepsDataWhenOrphaned(v)) {
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
        PersistentVolume pv = ClaimModel.localVolume(claim, sc, pool, v.getSpec().node, name);
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
        return ClaimModel.localVolume(claim, sc, pool, node, name);
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
        if (!ClaimModel.ours(pv)) {
            return;
        }
        for (PvReclaim.Step step : PvReclaim.plan(pv, volumeOf(pv))) {
            PoolVolume volume = step.volume();
            switch (step.action()) {
                case ADD_FINALIZER -> setFinalizer(name, true);
                case DELETE_DATA -> {
                    LOG.info("PV {}: Released with policy Delete; deleting its data on node {}", name, volume.getSpec().node);
                    volumes.delete(volume.getMetadata().getName());
                }
                case DELETE_PV -> {
                    client.persistentVolumes().withName(name).delete();
                    LOG.info("PV {}: DELETED", name);
                }
                case RELEASE_TO_PV -> volumes.release(volume.getMetadata().getName(), Optional.of(ClaimOwner.VOLUME + name));
                case RELEASE_TO_NOBODY -> {
                    volumes.release(volume.getMetadata().getName(), Optional.empty());
                    LOG.info("PV {}: deleted; its volume {} on node {} is kept (policy Retain) as a released volume", name,
                            volume.getMetadata().getName(), volume.getSpec().node);
                    events.normal(volume, "VolumeRetained", "PV " + name + " was deleted; policy Retain keeps the data on node "
                            + volume.getSpec().node + " as released volume " + volume.getMetadata().getName()
                            + " until it is deleted (DELETE /api/v1/volumes/" + volume.getMetadata().getName() + ")");
                }
                case REMOVE_FINALIZER -> setFinalizer(name, false);
            }
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
                if (pv == null ? Boolean.TRUE.equals(s.released) && s.owner != null : PvReclaim.unsettled(pv)) {
                    pvQueue.add(s.name);
                }
            } else if (Completion.vmDiskToCheck(s, cutoff)) {
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

    private void vmGone(PoolVolume disk) {
        PoolVolume.Spec s = disk.getSpec();
        if (Completion.retainsDiskOfGoneVm(catalog, s.pool)) {
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

    /** The node, as cached, matches the terms (an unknown node matches none). */
    private boolean matches(List<TopologySelectorTerm> terms, String nodeName) {
        Node node = nodes.getStore().getByKey(nodeName);
        return node != null && ClaimModel.matches(terms, node);
    }

    private Set<String> nodesMatching(List<TopologySelectorTerm> terms) {
        return nodes.getStore().list().stream().filter(n -> ClaimModel.matches(terms, n)).map(n -> n.getMetadata().getName()).collect(Collectors.toSet());
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
