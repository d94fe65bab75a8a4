package dsp.kubernetes.adapter;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.port.AllocationStore;
import dsp.kubernetes.Names;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Allocations are PoolVolume objects (name = allocation id). Reads come from a local view fed
 * by an informer <em>and</em> by this process's own writes, so admission right after an
 * admission sees it and never oversells while the watch catches up. A PoolVolume being deleted
 * still counts until its node agent has removed the data and the object is gone.
 */
public final class PoolVolumeStore implements AllocationStore {

    /** The kind of allocation a PVC gets; its owner is "namespace/claim" and its name "pvc-<claim uid>". */
    public static final String CLAIM_KIND = "pvc";

    private final KubernetesClient client;
    private final Map<String, PoolVolume> view = new ConcurrentHashMap<>();
    /** Each object converted once per change, not on every admission (which reads them all). */
    private final Map<String, Allocation> allocations = new ConcurrentHashMap<>();

    public PoolVolumeStore(KubernetesClient client, SharedIndexInformer<PoolVolume> informer) {
        this.client = client;
        informer.getStore().list().forEach(this::remember);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(PoolVolume v) {
                remember(v);
            }

            @Override
            public void onUpdate(PoolVolume old, PoolVolume v) {
                remember(v);
            }

            @Override
            public void onDelete(PoolVolume v, boolean unknownFinalState) {
                forget(v.getMetadata().getName());
            }
        });
    }

    /** Keeps the newer of what we have and what arrived. */
    synchronized void remember(PoolVolume v) {
        String name = v.getMetadata().getName();
        PoolVolume have = view.get(name);
        if (have != null && !newer(v, have)) {
            return;
        }
        view.put(name, v);
        toAllocation(v).ifPresentOrElse(a -> allocations.put(name, a), () -> allocations.remove(name));
    }

    private synchronized void forget(String name) {
        view.remove(name);
        allocations.remove(name);
    }

    static boolean newer(PoolVolume a, PoolVolume b) {
        try {
            return Long.parseLong(a.getMetadata().getResourceVersion()) >= Long.parseLong(b.getMetadata().getResourceVersion());
        } catch (NumberFormatException | NullPointerException opaque) {
            return true;
        }
    }

    public Optional<PoolVolume> object(String id) {
        return Optional.ofNullable(view.get(id));
    }

    public List<PoolVolume> objects() {
        return List.copyOf(view.values());
    }

    @Override
    public List<Allocation> listAllocations() {
        return allocations.values().stream()
                .sorted(Comparator.comparing(Allocation::createdAt).thenComparing(Allocation::id)).toList();
    }

    @Override
    public Optional<Allocation> findAllocation(String id) {
        return Optional.ofNullable(allocations.get(id));
    }

    @Override
    public void addAllocation(Allocation a) {
        PoolVolume v = new PoolVolume();
        v.setMetadata(new ObjectMetaBuilder().withName(a.id())
                .addToLabels(Names.NODE_LABEL, a.server())
                .addToLabels(Names.POOL_NAME_LABEL, a.pool())
                .addToFinalizers(Names.DATA_FINALIZER)
                .build());
        PoolVolume.Spec spec = new PoolVolume.Spec();
        spec.name = a.name();
        spec.pool = a.pool();
        spec.node = a.server();
        spec.sizeBytes = a.sizeBytes();
        spec.format = a.format().display();
        spec.template = a.template().orElse(null);
        spec.owner = a.owner().orElse(null);
        spec.kind = a.kind();
        spec.released = a.phase() == VolumePhase.RELEASED ? Boolean.TRUE : null;
        spec.createdAt = a.createdAt().toString();
        if (a.kind().equals(CLAIM_KIND) && a.owner().isPresent() && a.owner().get().contains("/")) {
            String[] claim = a.owner().get().split("/", 2);
            spec.claimNamespace = claim[0];
            spec.claimName = claim[1];
            spec.claimUid = a.name().startsWith("pvc-") ? a.name().substring(4) : null;
        }
        v.setSpec(spec);
        try {
            remember(client.resources(PoolVolume.class).resource(v).create());
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                throw DomainException.conflict("PoolVolume " + a.id() + " already exists");
            }
            throw DomainException.storageFailed("cannot record PoolVolume " + a.id() + ": " + e.getMessage());
        }
    }

    /** Size, owner and release are the controller's to change; the phase is the node agent's. */
    @Override
    public void updateAllocation(Allocation a) {
        edit(a.id(), v -> {
            v.getSpec().sizeBytes = a.sizeBytes();
            v.getSpec().owner = a.owner().orElse(null);
            v.getSpec().released = a.phase() == VolumePhase.RELEASED ? Boolean.TRUE : null;
        });
    }

    /** Deleting the object deletes the data: the agent removes the finalizer once it is gone. */
    @Override
    public void removeAllocation(String id) {
        try {
            client.resources(PoolVolume.class).withName(id).delete();
            PoolVolume v = view.get(id);
            if (v != null && v.getMetadata().getDeletionTimestamp() == null) {
                v.getMetadata().setDeletionTimestamp(Instant.now().toString());
            }
        } catch (KubernetesClientException e) {
            throw DomainException.storageFailed("cannot delete PoolVolume " + id + ": " + e.getMessage());
        }
    }

    private void edit(String id, java.util.function.Consumer<PoolVolume> change) {
        try {
            remember(dsp.kubernetes.Conflicts.retry(() -> client.resources(PoolVolume.class).withName(id).edit(v -> {
                change.accept(v);
                return v;
            })));
        } catch (KubernetesClientException e) {
            throw DomainException.storageFailed("cannot update PoolVolume " + id + ": " + e.getMessage());
        }
    }

    /** A PoolVolume as an allocation; malformed objects (hand-made) are left out rather than breaking admission. */
    public static Optional<Allocation> toAllocation(PoolVolume v) {
        PoolVolume.Spec s = v.getSpec();
        if (s == null || s.pool == null || s.node == null || s.sizeBytes == null || s.name == null) {
            return Optional.empty();
        }
        VolumePhase phase = Boolean.TRUE.equals(s.released) ? VolumePhase.RELEASED
                : v.getStatus() != null && "Ready".equals(v.getStatus().phase) ? VolumePhase.READY : VolumePhase.PENDING;
        try {
            return Optional.of(new Allocation(v.getMetadata().getName(), s.name, s.pool, s.node, s.sizeBytes,
                    s.kind == null ? "volume" : s.kind, s.createdAt == null ? Instant.EPOCH : Instant.parse(s.createdAt),
                    s.format == null ? VolumeFormat.DIRECTORY : VolumeFormat.parse(s.format), Optional.ofNullable(s.template),
                    Optional.ofNullable(s.owner), phase));
        } catch (DomainException | java.time.format.DateTimeParseException bad) {
            return Optional.empty();
        }
    }
}
