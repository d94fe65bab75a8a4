package dsp.kubernetes.adapter;

import dsp.core.DomainException;
import dsp.core.ledger.CapacityLedger;
import dsp.core.model.Allocation;
import dsp.core.model.Timestamps;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.port.AllocationStore;
import dsp.kubernetes.Writes;
import dsp.kubernetes.Names;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Allocations are PoolVolume objects (name = allocation id; a claim's is {@code pvc-<claim uid>}).
 * Reads come from a local view fed by an informer <em>and</em> by this process's own writes, so
 * admission right after an admission sees it and never oversells while the watch catches up. A
 * PoolVolume being deleted still counts until its node agent has removed the data and the object is gone.
 *
 * <p>The view is indexed by name, by claim uid, by volume name and by node, so no caller scans it.
 *
 * <p>Two ways to write. {@link AllocationStore}'s methods write through to the API server at
 * once (the VM API uses them). {@link #promising()} is the same store for an admission that must
 * not hold the fleet lock across an API round trip: what it admits is <em>promised</em> in memory
 * only (counted at once by every admission), and the caller then writes it with {@link #create}
 * or {@link #resize} outside the lock, which turn the promise into the object, or withdraw it when
 * the write fails.
 *
 * <p>The in-memory ledger mirrors this store: every change of an allocation's effective state (its
 * promise, else its object) is handed to it, so admission and status never copy or scan the view.
 */
public final class PoolVolumeStore implements AllocationStore {

    /** The kind of allocation a PVC gets; its name is "pvc-<claim uid>". */
    public static final String CLAIM_KIND = "pvc";
    /** A claim's volume name (and its PV's and, for new ones, its PoolVolume's). */
    public static final String CLAIM_VOLUME_PREFIX = "pvc-";

    /** What the view knows of one object: the object and its allocation (empty when malformed). */
    private record Entry(PoolVolume object, Optional<Allocation> allocation) {
    }

    private final KubernetesClient client;
    private final CapacityLedger ledger;
    private final Map<String, Entry> view = new ConcurrentHashMap<>();
    /** Admitted in memory, not yet written (or being written): counted by admission all the same. */
    private final Map<String, Allocation> promises = new ConcurrentHashMap<>();
    private final Map<String, String> byClaimUid = new ConcurrentHashMap<>();
    private final Map<String, String> byVolumeName = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> byNode = new ConcurrentHashMap<>();
    private final List<Consumer<PoolVolume>> listeners = new CopyOnWriteArrayList<>();
    /** The allocations as one list, rebuilt on the first read after a change (admission reads it on every admit). */
    private volatile List<Allocation> snapshot;

    /**
     * The store of a controller: the informer keeps only each PoolVolume's name and resourceVersion
     * ({@link KeysOnly}) and this view keeps the one (slimmed) copy of each object, so the fleet's
     * PoolVolumes are held once, not once by the informer and again (after a relist, as other
     * instances) by the view. Registers before the informer runs, so every object arrives here whole;
     * returns once the view (and with it the ledger) holds every object the informer listed.
     */
    public static PoolVolumeStore informing(KubernetesClient client, SharedIndexInformer<PoolVolume> notStarted, CapacityLedger ledger) {
        notStarted.itemStore(new KeysOnly());
        PoolVolumeStore store = new PoolVolumeStore(client, notStarted, ledger);
        notStarted.run();
        store.awaitView(notStarted);
        return store;
    }

    /**
     * The informer's store is complete when it has synced, but its handlers (this view) are told on
     * the informer's own thread a moment later: until then the ledger would count too little, and an
     * admission could promise space that is taken.
     */
    private void awaitView(SharedIndexInformer<PoolVolume> informer) {
        // the listed names the view lacks, taken once and shrunk as they arrive (not every listed object again each
        // round: at 200,000 that alone was a core's worth of work while the handlers caught up). PoolVolumes are
        // cluster-scoped: the informer's key is the name.
        Set<String> missing = new java.util.HashSet<>(informer.getStore().listKeys());
        try {
            while (true) {
                // one deleted meanwhile is no longer waited for
                missing.removeIf(name -> view.containsKey(name) || informer.getStore().getByKey(name) == null);
                if (missing.isEmpty() || !informer.isRunning()) {
                    return; // stopped meanwhile: whoever stopped it is not waiting for the view
                }
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * @param informer an informer whose store keeps whole objects, or one not started yet: objects it already
     *                 holds arrive as additions when this registers
     */
    public PoolVolumeStore(KubernetesClient client, SharedIndexInformer<PoolVolume> informer, CapacityLedger ledger) {
        this.client = client;
        this.ledger = ledger;
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
                forget(v);
            }
        });
    }

    /** Called after the view took in a change of this object (or its disappearance), from the informer's or a writer's thread. */
    public void onChange(Consumer<PoolVolume> listener) {
        listeners.add(listener);
    }

    /** Keeps the newer of what we have and what arrived. */
    void remember(PoolVolume v) {
        String name = v.getMetadata().getName();
        synchronized (this) {
            Entry have = view.get(name);
            if (have != null && !newer(v, have.object())) {
                return;
            }
            if (have != null && sameVersion(v, have.object())) {
                return; // the same object again (a relist, a handler added late): keep the copy we have
            }
            if (have != null) {
                unindex(name, have);
            }
            PoolVolume slim = Slim.copy(v);
            Entry entry = new Entry(slim, toAllocation(slim));
            view.put(name, entry);
            index(name, entry);
            snapshot = null;
            publish(name);
        }
        listeners.forEach(l -> l.accept(v));
    }

    private void forget(PoolVolume v) {
        String name = v.getMetadata().getName();
        synchronized (this) {
            Entry have = view.remove(name);
            if (have != null) {
                unindex(name, have);
            }
            snapshot = null;
            publish(name);
        }
        listeners.forEach(l -> l.accept(v));
    }

    /** Tells the ledger what now counts for this id: its promise, else its object's allocation, else nothing. Under the store's lock. */
    private void publish(String id) {
        Allocation effective = promises.get(id);
        if (effective == null) {
            Entry e = view.get(id);
            effective = e == null ? null : e.allocation().orElse(null);
        }
        if (effective == null) {
            ledger.removeAllocation(id);
        } else {
            ledger.putAllocation(effective);
        }
    }

    private void index(String name, Entry e) {
        PoolVolume.Spec s = e.object().getSpec();
        if (s == null) {
            return;
        }
        if (s.claimUid != null) {
            byClaimUid.put(s.claimUid, name);
        }
        if (s.pool != null && s.name != null) {
            byVolumeName.put(s.pool + "/" + s.name, name);
        }
        if (s.node != null) {
            byNode.computeIfAbsent(s.node, n -> ConcurrentHashMap.newKeySet()).add(name);
        }
    }

    private void unindex(String name, Entry e) {
        PoolVolume.Spec s = e.object().getSpec();
        if (s == null) {
            return;
        }
        if (s.claimUid != null) {
            byClaimUid.remove(s.claimUid, name);
        }
        if (s.pool != null && s.name != null) {
            byVolumeName.remove(s.pool + "/" + s.name, name);
        }
        if (s.node != null) {
            Set<String> names = byNode.get(s.node);
            if (names != null) {
                names.remove(name);
            }
        }
    }

    private static boolean sameVersion(PoolVolume a, PoolVolume b) {
        String mine = a.getMetadata().getResourceVersion();
        return mine != null && mine.equals(b.getMetadata().getResourceVersion()) && a.getMetadata().getDeletionTimestamp() == null
                && b.getMetadata().getDeletionTimestamp() == null;
    }

    static boolean newer(PoolVolume a, PoolVolume b) {
        try {
            return Long.parseLong(a.getMetadata().getResourceVersion()) >= Long.parseLong(b.getMetadata().getResourceVersion());
        } catch (NumberFormatException | NullPointerException opaque) {
            return true;
        }
    }

    public Optional<PoolVolume> object(String name) {
        return Optional.ofNullable(view.get(name)).map(Entry::object);
    }

    /** The PoolVolume of a claim, by the claim's uid (older ones have random names, so not by name alone). */
    public Optional<PoolVolume> forClaim(String claimUid) {
        String name = byClaimUid.get(claimUid);
        if (name == null) {
            name = CLAIM_VOLUME_PREFIX + claimUid;
        }
        return object(name);
    }

    /** The PoolVolume holding the volume of this name in this pool. */
    public Optional<PoolVolume> byVolumeName(String pool, String volumeName) {
        return Optional.ofNullable(byVolumeName.get(pool + "/" + volumeName)).flatMap(this::object);
    }

    /** The PoolVolumes on one node. */
    public List<PoolVolume> onNode(String node) {
        Set<String> names = byNode.getOrDefault(node, Set.of());
        List<PoolVolume> out = new ArrayList<>(names.size());
        for (String n : names) {
            object(n).ifPresent(out::add);
        }
        return out;
    }

    /** Every object (for periodic sweeps, never per reconcile). */
    public Collection<PoolVolume> objects() {
        return view.values().stream().map(Entry::object).toList();
    }

    /** Whether an allocation is promised in memory and not written yet. */
    public boolean isPromised(String id) {
        return promises.containsKey(id);
    }

    @Override
    public List<Allocation> listAllocations() {
        List<Allocation> s = snapshot;
        if (s == null) {
            synchronized (this) {
                s = snapshot;
                if (s == null) {
                    List<Allocation> all = new ArrayList<>(view.size() + promises.size());
                    for (Map.Entry<String, Entry> e : view.entrySet()) {
                        if (!promises.containsKey(e.getKey())) {
                            e.getValue().allocation().ifPresent(all::add);
                        }
                    }
                    all.addAll(promises.values());
                    s = List.copyOf(all);
                    snapshot = s;
                }
            }
        }
        return s;
    }

    @Override
    public Optional<Allocation> findAllocation(String id) {
        Allocation promised = promises.get(id);
        if (promised != null) {
            return Optional.of(promised);
        }
        return Optional.ofNullable(view.get(id)).flatMap(Entry::allocation);
    }

    @Override
    public void addAllocation(Allocation a) {
        try {
            remember(client.resources(PoolVolume.class).resource(toObject(a)).create());
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                throw DomainException.conflict("PoolVolume " + a.id() + " already exists");
            }
            throw DomainException.storageFailed("cannot record PoolVolume " + a.id() + ": " + e.getMessage());
        }
    }

    /**
     * Size, owner, release and node (a drain's switch, once the copy there is Ready) are the
     * controller's to change; the phase is the node agent's.
     */
    @Override
    public void updateAllocation(Allocation a) {
        edit(a.id(), v -> {
            v.getSpec().node = a.server();
            Map<String, String> labels = v.getMetadata().getLabels() == null ? new java.util.HashMap<>() : new java.util.HashMap<>(v.getMetadata().getLabels());
            labels.put(Names.NODE_LABEL, Names.nodeLabelValue(a.server())); // the node's agent watches by this label
            v.getMetadata().setLabels(labels);
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
            Entry e = view.get(id);
            if (e != null && e.object().getMetadata().getDeletionTimestamp() == null) {
                e.object().getMetadata().setDeletionTimestamp(Instant.now().toString());
            }
        } catch (KubernetesClientException e) {
            throw DomainException.storageFailed("cannot delete PoolVolume " + id + ": " + e.getMessage());
        }
    }

    /**
     * This store as admission's store for callers that write afterwards: new and changed
     * allocations are promised in memory only; deleting is not done through it.
     */
    public AllocationStore promising() {
        return new AllocationStore() {
            @Override
            public List<Allocation> listAllocations() {
                return PoolVolumeStore.this.listAllocations();
            }

            @Override
            public Optional<Allocation> findAllocation(String id) {
                return PoolVolumeStore.this.findAllocation(id);
            }

            @Override
            public void addAllocation(Allocation a) {
                promise(a);
            }

            @Override
            public void updateAllocation(Allocation a) {
                promise(a);
            }

            @Override
            public void removeAllocation(String id) {
                throw new UnsupportedOperationException("a promising admission does not delete; delete the PoolVolume");
            }
        };
    }

    private void promise(Allocation a) {
        synchronized (this) {
            promises.put(a.id(), a);
            snapshot = null;
            publish(a.id());
        }
    }

    /** Drops a promise: what it admitted no longer counts unless its object exists. */
    public void withdraw(String id) {
        synchronized (this) {
            if (promises.remove(id) != null) {
                snapshot = null;
                publish(id);
            }
        }
    }

    /** The promise is kept: the view now holds its object (it counts there), so the promise goes. */
    private PoolVolume keep(String id, PoolVolume written) {
        remember(written);
        withdraw(id);
        return written;
    }

    /**
     * Writes a promised allocation as its PoolVolume. Idempotent: an object of that name that is
     * already there (a retry, or a write whose answer was lost) is the same allocation, since the
     * name derives from what it is for. A failed write withdraws the promise and is rethrown.
     */
    public PoolVolume create(Allocation a) {
        try {
            return keep(a.id(), client.resources(PoolVolume.class).resource(toObject(a)).create());
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                PoolVolume there = client.resources(PoolVolume.class).withName(a.id()).get();
                if (there != null) {
                    return keep(a.id(), there);
                }
            }
            withdraw(a.id());
            throw e;
        } catch (RuntimeException e) {
            withdraw(a.id());
            throw e;
        }
    }

    /** Writes a promised new size; a failed write withdraws the promise (the old size counts again) and is rethrown. */
    public PoolVolume resize(String id, long sizeBytes) {
        try {
            AtomicReference<PoolVolume> written = new AtomicReference<>();
            Writes.editExisting(client, client.resources(PoolVolume.class).withName(id), v -> {
                v.getSpec().sizeBytes = Math.max(sizeBytes, v.getSpec().sizeBytes == null ? 0 : v.getSpec().sizeBytes);
                return v;
            }, written::set);
            return keep(id, written.get());
        } catch (RuntimeException e) {
            withdraw(id);
            throw e;
        }
    }

    /**
     * Marks a volume released (its data stays; nothing uses it any more) and records who, if
     * anyone, still refers to it. Idempotent.
     */
    public void release(String id, Optional<String> owner) {
        Entry e = view.get(id);
        if (e != null && Boolean.TRUE.equals(e.object().getSpec().released)
                && java.util.Objects.equals(e.object().getSpec().owner, owner.orElse(null))) {
            return;
        }
        edit(id, v -> {
            v.getSpec().released = Boolean.TRUE;
            v.getSpec().owner = owner.orElse(null);
        });
    }

    /** Deletes the object (its agent then deletes the data); gone already is fine. */
    public void delete(String id) {
        try {
            client.resources(PoolVolume.class).withName(id).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    private void edit(String id, Consumer<PoolVolume> change) {
        try {
            Writes.editExisting(client, client.resources(PoolVolume.class).withName(id), v -> {
                change.accept(v);
                return v;
            }, this::remember);
        } catch (KubernetesClientException e) {
            throw DomainException.storageFailed("cannot update PoolVolume " + id + ": " + e.getMessage());
        }
    }

    /** The object that records an allocation. */
    public static PoolVolume toObject(Allocation a) {
        PoolVolume v = new PoolVolume();
        v.setMetadata(new ObjectMetaBuilder().withName(a.id())
                .addToLabels(Names.NODE_LABEL, Names.nodeLabelValue(a.server()))
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
        if (a.kind().equals(CLAIM_KIND) && a.name().startsWith(CLAIM_VOLUME_PREFIX)) {
            spec.claimUid = a.name().substring(CLAIM_VOLUME_PREFIX.length());
            ClaimOwner.parse(a.owner()).ifPresent(c -> {
                spec.claimNamespace = c.namespace();
                spec.claimName = c.name();
            });
        }
        v.setSpec(spec);
        return v;
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
                    s.kind == null ? "volume" : s.kind, s.createdAt == null ? Instant.EPOCH : Timestamps.read(s.createdAt),
                    s.format == null ? VolumeFormat.DIRECTORY : VolumeFormat.parse(s.format), Optional.ofNullable(s.template),
                    Optional.ofNullable(s.owner), phase));
        } catch (DomainException | java.time.format.DateTimeParseException bad) {
            return Optional.empty();
        }
    }

    /**
     * An informer store that keeps each PoolVolume's name and resourceVersion only (the view keeps the
     * objects): what the informer needs to tell additions, updates and deletions apart.
     */
    static final class KeysOnly implements ItemStore<PoolVolume> {
        private final Map<String, String> versions = new ConcurrentHashMap<>();

        @Override
        public String getKey(PoolVolume v) {
            return Cache.metaNamespaceKeyFunc(v);
        }

        @Override
        public PoolVolume put(String key, PoolVolume v) {
            return stub(key, versions.put(key, Objects.requireNonNullElse(v.getMetadata().getResourceVersion(), "")));
        }

        @Override
        public PoolVolume remove(String key) {
            return stub(key, versions.remove(key));
        }

        @Override
        public Stream<String> keySet() {
            return versions.keySet().stream();
        }

        @Override
        public Stream<PoolVolume> values() {
            return versions.entrySet().stream().map(e -> stub(e.getKey(), e.getValue()));
        }

        @Override
        public int size() {
            return versions.size();
        }

        @Override
        public PoolVolume get(String key) {
            return stub(key, versions.get(key));
        }

        @Override
        public boolean isFullState() {
            return false;
        }

        private static PoolVolume stub(String name, String resourceVersion) {
            if (resourceVersion == null) {
                return null;
            }
            PoolVolume v = new PoolVolume();
            ObjectMeta m = new ObjectMeta(); // not a builder: one stub per stored object on every relist
            m.setName(name);
            m.setResourceVersion(resourceVersion);
            v.setMetadata(m);
            return v;
        }
    }

    /**
     * The copy of a PoolVolume the view keeps: what this process reads of it, with the strings that
     * repeat across the fleet (pool, node, kind, format, phase, labels, finalizers) shared, and
     * without what nothing here reads (managedFields, empty collections).
     */
    static final class Slim {
        /** Distinct values of fields with few of them; beyond this many, values are kept as they came. */
        private static final int MAX_SHARED = 100_000;
        private static final Map<Object, Object> SHARED = new ConcurrentHashMap<>();

        private Slim() {
        }

        @SuppressWarnings("unchecked")
        private static <T> T shared(T value) {
            if (value == null) {
                return null;
            }
            Object have = SHARED.get(value);
            if (have != null) {
                return (T) have;
            }
            if (SHARED.size() >= MAX_SHARED) {
                return value;
            }
            Object was = SHARED.putIfAbsent(value, value);
            return was == null ? value : (T) was;
        }

        private static Map<String, String> sharedMap(Map<String, String> m) {
            return m == null || m.isEmpty() ? Map.of() : shared(Map.copyOf(m));
        }

        private static <T> List<T> sharedList(List<T> l) {
            return l == null || l.isEmpty() ? List.of() : shared(List.copyOf(l));
        }

        static PoolVolume copy(PoolVolume v) {
            ObjectMeta m = v.getMetadata();
            PoolVolume c = new PoolVolume();
            ObjectMeta cm = new ObjectMeta(); // set field by field: a builder copies every collection once more
            cm.setName(m.getName());
            cm.setNamespace(m.getNamespace());
            cm.setUid(m.getUid());
            cm.setResourceVersion(m.getResourceVersion());
            cm.setGeneration(m.getGeneration());
            cm.setCreationTimestamp(shared(m.getCreationTimestamp()));
            cm.setDeletionTimestamp(m.getDeletionTimestamp());
            cm.setDeletionGracePeriodSeconds(m.getDeletionGracePeriodSeconds());
            cm.setLabels(sharedMap(m.getLabels()));
            cm.setAnnotations(m.getAnnotations() == null || m.getAnnotations().isEmpty() ? Map.of() : Map.copyOf(m.getAnnotations()));
            cm.setFinalizers(sharedList(m.getFinalizers()));
            cm.setOwnerReferences(sharedList(m.getOwnerReferences()));
            cm.setManagedFields(List.of());
            c.setMetadata(cm);
            PoolVolume.Spec s = v.getSpec();
            if (s != null) {
                PoolVolume.Spec cs = new PoolVolume.Spec();
                cs.name = s.name;
                cs.pool = shared(s.pool);
                cs.node = shared(s.node);
                cs.sizeBytes = s.sizeBytes;
                cs.format = shared(s.format);
                cs.template = shared(s.template);
                cs.owner = s.owner;
                cs.kind = shared(s.kind);
                cs.released = s.released;
                cs.claimNamespace = shared(s.claimNamespace);
                cs.claimName = s.claimName;
                cs.claimUid = s.claimUid;
                cs.createdAt = s.createdAt;
                c.setSpec(cs);
            }
            PoolVolume.Status st = v.getStatus();
            if (st != null) {
                PoolVolume.Status cst = new PoolVolume.Status();
                cst.phase = shared(st.phase);
                cst.path = st.path;
                cst.measuredBytes = st.measuredBytes;
                cst.presentedBytes = st.presentedBytes;
                cst.message = shared(st.message);
                c.setStatus(cst);
            }
            return c;
        }
    }

    /**
     * Who a claim's volume belongs to, as its owner reads: {@code PersistentVolumeClaim <ns>/<name>}
     * while a claim holds it, {@code PersistentVolume <name>} once only its (released) PV does.
     */
    public record ClaimOwner(String namespace, String name) {
        public static final String CLAIM = "PersistentVolumeClaim ";
        public static final String VOLUME = "PersistentVolume ";

        public String owner() {
            return CLAIM + namespace + "/" + name;
        }

        static Optional<ClaimOwner> parse(Optional<String> owner) {
            return owner.filter(o -> o.startsWith(CLAIM)).map(o -> o.substring(CLAIM.length()))
                    .or(() -> owner.filter(o -> !o.contains(" ") && o.contains("/"))) // written before owners said what they were
                    .map(o -> o.split("/", 2)).filter(p -> p.length == 2).map(p -> new ClaimOwner(p[0], p[1]));
        }
    }
}
