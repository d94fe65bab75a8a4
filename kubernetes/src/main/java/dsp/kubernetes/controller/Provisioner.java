package dsp.kubernetes.controller;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.usecase.CapacityAdmission;
import dsp.kubernetes.Names;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.crd.PoolVolume;
import dsp.kubernetes.work.WorkQueue;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code k8s-pool-provisioner} role: the external-provisioner contract for the pools'
 * storage classes. For a claim that names our provisioner and carries the scheduler's
 * {@code selected-node}, admission on that node goes through the ledger; no room (or a node
 * outside the pool) removes the annotation so the scheduler picks again. Once the node agent has
 * made the directory, a {@code local} PV named {@code pvc-<claim uid>} with required node affinity
 * is created. Released PVs are deleted with their data only when their policy is Delete.
 */
public final class Provisioner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Provisioner.class);

    private final KubernetesClient client;
    private final PoolCatalog catalog;
    private final CapacityAdmission admission;
    private final PoolVolumeStore volumes;
    private final SharedIndexInformer<PersistentVolumeClaim> claims;
    private final SharedIndexInformer<PersistentVolume> pvs;
    private final SharedIndexInformer<StorageClass> classes;
    private final Events events;
    private final WorkQueue claimQueue;
    private final WorkQueue pvQueue;

    public Provisioner(KubernetesClient client, PoolCatalog catalog, CapacityAdmission admission, PoolVolumeStore volumes,
                       SharedIndexInformer<PersistentVolumeClaim> claims, SharedIndexInformer<PersistentVolume> pvs,
                       SharedIndexInformer<StorageClass> classes, Events events) {
        this.client = client;
        this.catalog = catalog;
        this.admission = admission;
        this.volumes = volumes;
        this.claims = claims;
        this.pvs = pvs;
        this.classes = classes;
        this.events = events;
        this.claimQueue = new WorkQueue("provisioner-claims", 2, this::reconcileClaim);
        this.pvQueue = new WorkQueue("provisioner-volumes", 1, this::reconcileVolume);
    }

    /** Looks at every claim and volume again, e.g. after taking over the Lease. */
    public void resyncAll() {
        claims.getStore().list().forEach(this::claimChanged);
        pvs.getStore().list().forEach(this::volumeChanged);
    }

    public void claimChanged(PersistentVolumeClaim c) {
        claimQueue.add(c.getMetadata().getNamespace() + "/" + c.getMetadata().getName());
    }

    public void volumeChanged(PersistentVolume pv) {
        pvQueue.add(pv.getMetadata().getName());
    }

    /** A PoolVolume changed (e.g. its agent made it): its claim or its PV may move on. */
    public void poolVolumeChanged(PoolVolume v) {
        if (v.getSpec() != null && v.getSpec().claimName != null) {
            claimQueue.add(v.getSpec().claimNamespace + "/" + v.getSpec().claimName);
        }
        if (v.getSpec() != null && v.getSpec().name != null && v.getSpec().name.startsWith("pvc-")) {
            pvQueue.add(v.getSpec().name);
        }
    }

    void reconcileClaim(String key) {
        PersistentVolumeClaim claim = claims.getStore().getByKey(key);
        if (claim == null || claim.getSpec() == null) {
            return;
        }
        if (claim.getSpec().getVolumeName() != null && !claim.getSpec().getVolumeName().isEmpty()) {
            expandIfAsked(claim);
            return;
        }
        if (claim.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        Map<String, String> ann = claim.getMetadata().getAnnotations() == null ? Map.of() : claim.getMetadata().getAnnotations();
        String provisioner = ann.getOrDefault(Names.STORAGE_PROVISIONER_ANN, ann.get(Names.BETA_STORAGE_PROVISIONER_ANN));
        if (!Names.PROVISIONER.equals(provisioner)) {
            return;
        }
        StorageClass sc = claim.getSpec().getStorageClassName() == null ? null : classes.getStore().getByKey(claim.getSpec().getStorageClassName());
        if (sc == null || !Names.PROVISIONER.equals(sc.getProvisioner())) {
            return;
        }
        Optional<PoolDefinition> pool = poolOf(sc);
        if (pool.isEmpty()) {
            events.warning(claim, "ProvisioningFailed", "storage class " + sc.getMetadata().getName()
                    + " names no configured pool (parameter pool=" + param(sc, "pool") + "); pools are "
                    + catalog.pools().stream().map(PoolDefinition::name).toList());
            return;
        }
        String node = ann.get(Names.SELECTED_NODE_ANN);
        if (node == null && "WaitForFirstConsumer".equals(sc.getVolumeBindingMode())) {
            return; // the scheduler has not chosen a node yet
        }
        String volumeName = "pvc-" + claim.getMetadata().getUid();
        Optional<PoolVolume> existing = volumes.objects().stream()
                .filter(v -> v.getSpec() != null && volumeName.equals(v.getSpec().name)).findFirst();
        if (existing.isEmpty()) {
            try {
                long bytes = requestBytes(claim);
                admission.admit(new CapacityAdmission.Request(volumeName, pool.get().name(), bytes, PoolVolumeStore.CLAIM_KIND,
                        Optional.ofNullable(node), VolumeFormat.DIRECTORY, Optional.empty(),
                        Optional.of(claim.getMetadata().getNamespace() + "/" + claim.getMetadata().getName()), VolumePhase.PENDING));
                LOG.info("PVC {}: admitted {} bytes on node {} in pool {}", key, bytes, node, pool.get().name());
            } catch (DomainException e) {
                switch (e.code()) {
                    case STORAGE_FAILED -> throw e; // retried with backoff
                    case INVALID -> events.warning(claim, "ProvisioningFailed", e.getMessage()); // no retry loop
                    default -> reschedule(claim, node, e.getMessage()); // full node, node outside the pool, unknown node
                }
            }
            return; // the PV follows when the node agent reports the directory ready
        }
        PoolVolume v = existing.get();
        if (v.getStatus() != null && "Ready".equals(v.getStatus().phase)) {
            createPv(claim, sc, pool.get(), v);
        } else if (v.getStatus() != null && "Failed".equals(v.getStatus().phase)) {
            events.warning(claim, "ProvisioningFailed", "node " + v.getSpec().node + " could not make the volume: " + v.getStatus().message);
        }
    }

    /**
     * Volume expansion of a bound claim (grow only), for classes that allow it: the ledger grows
     * the allocation on its node (or refuses with an Event), then the PV and the claim's status
     * show the new size. A directory volume needs no file-system resize.
     */
    private void expandIfAsked(PersistentVolumeClaim claim) {
        String pvName = claim.getSpec().getVolumeName();
        PersistentVolume pv = pvs.getStore().getByKey(pvName);
        if (pv == null || pv.getMetadata().getAnnotations() == null
                || !Names.PROVISIONER.equals(pv.getMetadata().getAnnotations().get(Names.PROVISIONED_BY_ANN))) {
            return;
        }
        Quantity requested = claim.getSpec().getResources().getRequests().get("storage");
        Quantity current = pv.getSpec().getCapacity().get("storage");
        if (requested == null || current == null || Quantity.getAmountInBytes(requested).compareTo(Quantity.getAmountInBytes(current)) <= 0) {
            return;
        }
        StorageClass sc = pv.getSpec().getStorageClassName() == null ? null : classes.getStore().getByKey(pv.getSpec().getStorageClassName());
        if (sc == null || !Boolean.TRUE.equals(sc.getAllowVolumeExpansion())) {
            events.warning(claim, "VolumeResizeFailed", "storage class " + pv.getSpec().getStorageClassName() + " does not allow expansion");
            return;
        }
        Optional<Allocation> data = volumes.listAllocations().stream().filter(a -> a.name().equals(pvName)).findFirst();
        if (data.isEmpty()) {
            return;
        }
        long bytes = Quantity.getAmountInBytes(requested).longValueExact();
        try {
            admission.grow(data.get().id(), bytes);
        } catch (DomainException e) {
            if (e.code() == DomainException.Code.STORAGE_FAILED) {
                throw e;
            }
            events.warning(claim, "VolumeResizeFailed", e.getMessage());
            return;
        }
        dsp.kubernetes.Conflicts.retry(() -> client.persistentVolumes().withName(pvName).edit(p -> {
            p.getSpec().getCapacity().put("storage", requested);
            return p;
        }));
        dsp.kubernetes.Conflicts.retry(() -> client.persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace())
                .withName(claim.getMetadata().getName()).editStatus(c -> {
                    if (c.getStatus() == null) {
                        c.setStatus(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatus());
                    }
                    java.util.Map<String, Quantity> capacity = c.getStatus().getCapacity() == null
                            ? new java.util.HashMap<>() : new java.util.HashMap<>(c.getStatus().getCapacity());
                    capacity.put("storage", requested);
                    c.getStatus().setCapacity(capacity);
                    return c;
                }));
        LOG.info("PVC {}/{}: expanded {} from {} to {}", claim.getMetadata().getNamespace(), claim.getMetadata().getName(), pvName, current, requested);
        events.normal(claim, "VolumeResizeSuccessful", "volume " + pvName + " grew from " + current + " to " + requested);
    }

    /** Hands the claim back to the scheduler: without selected-node it picks a node again. */
    private void reschedule(PersistentVolumeClaim claim, String node, String why) {
        String key = claim.getMetadata().getNamespace() + "/" + claim.getMetadata().getName();
        LOG.info("PVC {}: cannot provision on node {} ({}); rescheduling", key, node, why);
        if (node != null) {
            try {
                client.persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace()).withName(claim.getMetadata().getName())
                        .patch(PatchContext.of(PatchType.JSON), "[{\"op\":\"remove\",\"path\":\"/metadata/annotations/"
                                + Names.SELECTED_NODE_ANN.replace("~", "~0").replace("/", "~1") + "\"}]");
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404 && e.getCode() != 422) {
                    throw e;
                }
            }
        }
        events.warning(claim, "ProvisioningFailed", why + "; asked the scheduler to pick another node");
    }

    private void createPv(PersistentVolumeClaim claim, StorageClass sc, PoolDefinition pool, PoolVolume v) {
        String name = v.getSpec().name;
        if (pvs.getStore().getByKey(name) != null) {
            return;
        }
        Quantity request = claim.getSpec().getResources().getRequests().get("storage");
        String reclaim = sc.getReclaimPolicy() == null ? "Delete" : sc.getReclaimPolicy();
        PersistentVolume pv = new PersistentVolumeBuilder()
                .withNewMetadata().withName(name)
                .addToAnnotations(Names.PROVISIONED_BY_ANN, Names.PROVISIONER)
                .addToLabels(Names.POOL_NAME_LABEL, pool.name())
                .addToLabels(Names.NODE_LABEL, v.getSpec().node)
                .endMetadata()
                .withNewSpec()
                .addToCapacity("storage", request)
                .withAccessModes(claim.getSpec().getAccessModes())
                .withVolumeMode(claim.getSpec().getVolumeMode() == null ? "Filesystem" : claim.getSpec().getVolumeMode())
                .withPersistentVolumeReclaimPolicy(reclaim)
                .withStorageClassName(sc.getMetadata().getName())
                .withNewLocal().withPath(pool.path() + "/" + name).endLocal()
                .withNewNodeAffinity().withNewRequired().addNewNodeSelectorTerm().addNewMatchExpression()
                .withKey(Names.HOSTNAME_LABEL).withOperator("In").withValues(v.getSpec().node)
                .endMatchExpression().endNodeSelectorTerm().endRequired().endNodeAffinity()
                .withClaimRef(new ObjectReferenceBuilder().withApiVersion("v1").withKind("PersistentVolumeClaim")
                        .withNamespace(claim.getMetadata().getNamespace()).withName(claim.getMetadata().getName())
                        .withUid(claim.getMetadata().getUid()).build())
                .endSpec().build();
        try {
            client.persistentVolumes().resource(pv).create();
            LOG.info("PV {}: CREATED for PVC {}/{} on node {} ({})", name, claim.getMetadata().getNamespace(),
                    claim.getMetadata().getName(), v.getSpec().node, request);
            events.normal(claim, "ProvisioningSucceeded", "volume " + name + " on node " + v.getSpec().node + " in pool " + pool.name());
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    /** Deletes data only for a Released PV whose policy is Delete; Retain keeps it. */
    void reconcileVolume(String name) {
        PersistentVolume pv = pvs.getStore().getByKey(name);
        if (pv == null) {
            return;
        }
        Map<String, String> ann = pv.getMetadata().getAnnotations() == null ? Map.of() : pv.getMetadata().getAnnotations();
        if (!Names.PROVISIONER.equals(ann.get(Names.PROVISIONED_BY_ANN))) {
            return;
        }
        boolean released = pv.getStatus() != null && "Released".equals(pv.getStatus().getPhase());
        if (!released || !"Delete".equals(pv.getSpec().getPersistentVolumeReclaimPolicy())) {
            return;
        }
        Optional<Allocation> data = volumes.listAllocations().stream().filter(a -> a.name().equals(name)).findFirst();
        if (data.isPresent()) {
            Optional<PoolVolume> obj = volumes.object(data.get().id());
            if (obj.isPresent() && obj.get().getMetadata().getDeletionTimestamp() == null) {
                LOG.info("PV {}: Released with policy Delete; deleting its data on node {}", name, data.get().server());
                admission.release(data.get().id());
            }
            return; // the PV goes once the node agent has removed the data
        }
        client.persistentVolumes().withName(name).delete();
        LOG.info("PV {}: DELETED", name);
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

    static long requestBytes(PersistentVolumeClaim claim) {
        Quantity q = claim.getSpec().getResources() == null || claim.getSpec().getResources().getRequests() == null
                ? null : claim.getSpec().getResources().getRequests().get("storage");
        if (q == null) {
            throw DomainException.invalid("claim requests no storage");
        }
        return Quantity.getAmountInBytes(q).longValueExact();
    }

    @Override
    public void close() {
        claimQueue.close();
        pvQueue.close();
    }
}
