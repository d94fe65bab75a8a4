package dsp.kubernetes.controller;

import dsp.core.ledger.CapacityLedger;
import dsp.core.model.PoolCatalog;
import dsp.core.port.OperationRecorder;
import dsp.core.usecase.CapacityAdmission;
import dsp.core.usecase.FleetLock;
import dsp.kubernetes.adapter.PoolVolumeStore;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * k8s-pool-provisioner while this process holds the admission Lease: the provisioner over its
 * claim, PersistentVolume and StorageClass informers (made at the first lead, kept across re-elections).
 */
final class AdmissionRole implements AutoCloseable {

    private final KubernetesClient client;
    private final PoolCatalog catalog;
    private final CapacityLedger ledger;
    private final PoolVolumeStore store;
    private final FleetLock lock;
    private final SharedIndexInformer<Node> nodes;
    private final Events events;
    private final Clock clock;
    private final OperationRecorder recorder;
    /** Informers liveness watches: this role adds its own. */
    private final List<SharedIndexInformer<?>> informers;
    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();
    private boolean wired;
    private volatile Provisioner provisioner;
    private Supplier<Provisioner> provisionerParts;

    AdmissionRole(ControllerParts parts, Events events, OperationRecorder recorder, List<SharedIndexInformer<?>> informers) {
        this.client = parts.client();
        this.catalog = parts.catalog();
        this.ledger = parts.ledger();
        this.store = parts.store();
        this.lock = parts.lock();
        this.nodes = parts.nodes();
        this.clock = parts.clock();
        this.events = events;
        this.recorder = recorder;
        this.informers = informers;
    }

    /**
     * The Lease is ours.
     *
     * @param provision whether this process provisions (else it holds the Lease for the VM API's admissions only)
     */
    synchronized void lead(boolean provision) {
        if (!provision || wired) {
            if (provisionerParts != null) {
                provisioner = provisionerParts.get(); // leading again: fresh queues over the same informers
                provisioner.resyncAll();
            }
            return;
        }
        wired = true;
        SharedIndexInformer<PersistentVolumeClaim> claims = client.persistentVolumeClaims().inAnyNamespace().withLimit(Informers.LIST_PAGE).inform();
        SharedIndexInformer<PersistentVolume> pvs = client.persistentVolumes().withLimit(Informers.LIST_PAGE).inform();
        SharedIndexInformer<StorageClass> classes = client.storage().v1().storageClasses().inform();
        closing.add(claims::close);
        closing.add(pvs::close);
        closing.add(classes::close);
        informers.addAll(List.of(claims, pvs, classes));
        // the provisioner admits in memory under the fleet lock and writes its PoolVolumes afterwards
        CapacityAdmission promising = new CapacityAdmission(ledger, store.promising(), lock, clock, () -> UUID.randomUUID().toString());
        provisionerParts = () -> {
            Provisioner p = new Provisioner(client, catalog, promising, store, claims, pvs, classes, nodes, events, clock).recordTo(recorder);
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
        pvs.addEventHandler(Informers.onAny(v -> withProvisioner(p -> p.volumeChanged((PersistentVolume) v))));
        classes.addEventHandler(Informers.onAny(c -> withProvisioner(p -> p.classChanged((StorageClass) c))));
        // after the store has taken the change in, so the provisioner reads what it was told about
        store.onChange(v -> withProvisioner(p -> p.poolVolumeChanged(v)));
    }

    private void withProvisioner(Consumer<Provisioner> action) {
        Provisioner p = provisioner;
        if (p != null) {
            action.accept(p);
        }
    }

    /** The Lease is lost. */
    synchronized void follow() {
        if (provisioner != null) {
            provisioner.close();
            provisioner = null;
        }
    }

    /** What waits in each of the provisioner's lanes; empty while this process does not provision. */
    Map<String, Integer> backlog() {
        Provisioner p = provisioner;
        return p == null ? Map.of() : p.backlog();
    }

    @Override
    public void close() {
        follow();
        Informers.closeAll(closing);
    }
}
