package dsp.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import dsp.core.DomainException.Code;
import dsp.core.Fleet;
import dsp.core.memory.InMemoryAllocationStore;
import dsp.core.ledger.CapacityLedger;
import dsp.core.ledger.WriteThroughAllocations;
import dsp.core.model.Allocation;
import dsp.core.model.PlacementPolicy;
import dsp.core.model.PoolCatalog;
import dsp.core.model.Server;
import dsp.core.model.Thresholds;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Volumes by hand over the in-memory adapters: create, list, get, delete by reclaim policy, and what a failure leaves. */
class VolumeUseCaseTest {

    private static final long GB = 1_000_000_000L;

    private final Fleet fleet = new Fleet();
    private final ScriptedVolumes data = new ScriptedVolumes();
    private final VolumeService volumes = new VolumeService(fleet.catalog, fleet.admission, fleet.store, data);

    VolumeUseCaseTest() {
        fleet.label("k8s-1", "k8s");
        fleet.label("vm-1", "vm");
    }

    private static void refused(ThrowingCallable call, Code code, String message) {
        assertThatThrownBy(call).isInstanceOf(DomainException.class).hasMessageContaining(message)
                .extracting(e -> ((DomainException) e).code()).isEqualTo(code);
    }

    @Test
    void aVolumeIsADirectoryUnlessAskedAndReadyOnceMade() {
        Allocation a = volumes.create("data", "k8s", 100 * GB, Optional.empty());
        assertThat(a.name()).isEqualTo("data");
        assertThat(a.pool()).isEqualTo("k8s");
        assertThat(a.server()).isEqualTo("k8s-1");
        assertThat(a.sizeBytes()).isEqualTo(100 * GB);
        assertThat(a.kind()).isEqualTo("volume");
        assertThat(a.format()).isEqualTo(VolumeFormat.DIRECTORY);
        assertThat(a.template()).isEmpty();
        assertThat(a.owner()).isEmpty();
        assertThat(a.phase()).isEqualTo(VolumePhase.READY);
        assertThat(fleet.store.findAllocation(a.id())).contains(a);
        assertThat(data.calls).containsExactly("make data");
        assertThat(volumes.pathOf(a)).isEqualTo("memory://k8s-1/k8s/data");

        Allocation image = volumes.create("scratch", "vm", 20 * GB, Optional.of(VolumeFormat.QCOW2));
        assertThat(image.format()).isEqualTo(VolumeFormat.QCOW2);
        assertThat(volumes.pathOf(image)).isEqualTo("memory://vm-1/vm/scratch.qcow2");
        data.measure(image, 123);
        assertThat(volumes.measuredBytes(image)).isEqualTo(123);
    }

    @Test
    void namesThePoolLayoutOwnsAndUnknownPoolsAreRefused() {
        refused(() -> volumes.create("templates", "vm", GB, Optional.empty()), Code.INVALID, "is used by the pool directory itself");
        refused(() -> volumes.create("Data", "k8s", GB, Optional.empty()), Code.INVALID, "volume name 'Data' is invalid");
        refused(() -> volumes.create("data", "backup", GB, Optional.empty()), Code.NOT_FOUND, "pool 'backup' does not exist");
        assertThat(fleet.store.listAllocations()).isEmpty();
        assertThat(data.calls).isEmpty();
    }

    @Test
    void dataThatCannotBeMadeLeavesNoRecord() {
        data.failNext("make");
        refused(() -> volumes.create("data", "k8s", GB, Optional.empty()), Code.NO_SPACE, "No space left");
        assertThat(fleet.store.listAllocations()).isEmpty();

        data.stray("old");
        refused(() -> volumes.create("old", "k8s", GB, Optional.empty()), Code.CONFLICT, "server k8s-1 already has 'old' in pool k8s");
        assertThat(fleet.store.listAllocations()).isEmpty();
        assertThat(data.calls).as("stray data is neither adopted nor deleted").containsExactly("make data");
    }

    @Test
    void aVolumeThatCannotBeMarkedReadyLosesItsDataAgain() {
        FailingStore store = new FailingStore();
        VolumeService service = serviceOver(store);
        store.failUpdates = true;
        refused(() -> service.create("data", "k8s", GB, Optional.empty()), Code.STORAGE_FAILED, "database down");
        assertThat(data.calls).containsExactly("make data", "delete data");
        assertThat(store.listAllocations()).isEmpty();
    }

    @Test
    void aRecordThatCannotBeReleasedIsLeftPendingAndTheErrorSaysBoth() {
        FailingStore store = new FailingStore();
        VolumeService service = serviceOver(store);
        data.failNext("make");
        store.failRemoves = true;
        assertThatThrownBy(() -> service.create("data", "k8s", GB, Optional.empty())).hasMessageContaining("No space left")
                .satisfies(e -> assertThat(e.getSuppressed()).extracting(Throwable::getMessage).containsExactly("database down"));
        assertThat(store.listAllocations()).singleElement().satisfies(a -> assertThat(a.phase()).isEqualTo(VolumePhase.PENDING));
    }

    @Test
    void whenNeitherTheDataNorTheRecordCanBeUndoneTheErrorSaysEverything() {
        FailingStore store = new FailingStore();
        VolumeService service = serviceOver(store);
        store.failUpdates = true;
        data.failNext("delete");
        assertThatThrownBy(() -> service.create("data", "k8s", GB, Optional.empty())).hasMessage("database down")
                .satisfies(e -> assertThat(e.getSuppressed()).extracting(Throwable::getMessage)
                        .containsExactly("delete data: No space left on device", "database down"));
        assertThat(store.listAllocations()).singleElement().satisfies(a -> assertThat(a.phase()).isEqualTo(VolumePhase.PENDING));
    }

    @Test
    void listingIsSortedByPoolThenNameAndFiltersByPool() {
        volumes.create("zeta", "k8s", GB, Optional.empty());
        volumes.create("beta", "vm", GB, Optional.empty());
        volumes.create("alpha", "k8s", GB, Optional.empty());
        assertThat(volumes.list(Optional.empty())).extracting(a -> a.pool() + "/" + a.name())
                .containsExactly("k8s/alpha", "k8s/zeta", "vm/beta");
        assertThat(volumes.list(Optional.of("vm"))).extracting(Allocation::name).containsExactly("beta");
        refused(() -> volumes.list(Optional.of("backup")), Code.NOT_FOUND, "pool 'backup' does not exist");
    }

    @Test
    void anIdIsLookedUpOnlyWhenItCouldBeOne() {
        String longest = "v".repeat(100);
        CapacityAdmission admission = new CapacityAdmission(fleet.ledger, fleet.store, new FleetLock(), fleet.clock, () -> longest);
        Allocation a = admission.admit(new CapacityAdmission.Request("long", "k8s", GB, "volume", Optional.empty()));
        assertThat(volumes.get(longest)).isEqualTo(a);
        refused(() -> volumes.get(longest + "v"), Code.NOT_FOUND, "does not exist");
        refused(() -> volumes.get(""), Code.NOT_FOUND, "volume '' does not exist");
        refused(() -> volumes.get(" "), Code.NOT_FOUND, "does not exist");
        refused(() -> volumes.get(null), Code.NOT_FOUND, "does not exist");
        refused(() -> volumes.get("nope"), Code.NOT_FOUND, "volume 'nope' does not exist");
        refused(() -> volumes.delete("nope", true), Code.NOT_FOUND, "volume 'nope' does not exist");
    }

    @Test
    void inADeletePoolAVolumeAndItsDataGoAtOnce() {
        Allocation a = volumes.create("data", "k8s", GB, Optional.empty());
        assertThat(volumes.delete(a.id(), false)).isEmpty();
        assertThat(fleet.store.listAllocations()).isEmpty();
        assertThat(data.calls).containsExactly("make data", "delete data");
    }

    @Test
    void inARetainPoolTheFirstDeleteReleasesAndTheSecondRemoves() {
        Allocation a = volumes.create("data", "vm", GB, Optional.empty());
        assertThat(volumes.delete(a.id(), false)).hasValueSatisfying(r -> assertThat(r.phase()).isEqualTo(VolumePhase.RELEASED));
        assertThat(fleet.store.findAllocation(a.id()).orElseThrow().phase()).isEqualTo(VolumePhase.RELEASED);
        assertThat(data.calls).containsExactly("make data");

        assertThat(volumes.delete(a.id(), false)).isEmpty();
        assertThat(fleet.store.listAllocations()).isEmpty();
        assertThat(data.calls).containsExactly("make data", "delete data");
    }

    @Test
    void purgeRemovesARetainedVolumeAtOnce() {
        Allocation a = volumes.create("data", "vm", GB, Optional.empty());
        assertThat(volumes.delete(a.id(), true)).isEmpty();
        assertThat(fleet.store.listAllocations()).isEmpty();
        assertThat(data.calls).containsExactly("make data", "delete data");
    }

    @Test
    void aVolumeOfAPoolNoLongerConfiguredIsDeletedNotKept() {
        Allocation a = volumes.create("data", "vm", GB, Optional.empty());
        PoolCatalog k8sOnly = new PoolCatalog(List.of(PoolCatalog.guideDefaults().require("k8s")),
                PoolCatalog.GUIDE_RESERVE, Thresholds.GUIDE, PlacementPolicy.LEAST_ALLOCATED);
        VolumeService later = new VolumeService(k8sOnly, fleet.admission, fleet.store, data);
        assertThat(later.delete(a.id(), false)).isEmpty();
        assertThat(fleet.store.listAllocations()).isEmpty();
    }

    @Test
    void aDiskOrAVolumeInUseOrBeingMadeIsNotDeleted() {
        Allocation disk = fleet.admission.admit(new CapacityAdmission.Request("vm-7", "vm", GB, "vm-disk", Optional.empty(),
                VolumeFormat.QCOW2, Optional.empty(), Optional.of("vm-7"), VolumePhase.READY));
        refused(() -> volumes.delete(disk.id(), true), Code.CONFLICT, "volume 'vm-7' is the disk of vm-7; delete the VM instead");
        Allocation used = fleet.admission.admit(new CapacityAdmission.Request("shared", "k8s", GB, "volume", Optional.empty(),
                VolumeFormat.DIRECTORY, Optional.empty(), Optional.of("pod-1"), VolumePhase.READY));
        refused(() -> volumes.delete(used.id(), true), Code.CONFLICT, "volume 'shared' is in use by pod-1; delete that first");
        Allocation pending = fleet.admission.admit(new CapacityAdmission.Request("new", "k8s", GB, "volume", Optional.empty(),
                VolumeFormat.DIRECTORY, Optional.empty(), Optional.empty(), VolumePhase.PENDING));
        refused(() -> volumes.delete(pending.id(), true), Code.CONFLICT, "volume 'new' is still being made; try again shortly");
        assertThat(fleet.store.listAllocations()).hasSize(3);
        assertThat(data.calls).isEmpty();
    }

    @Test
    void aRetainedVolumeLeftDeletingIsFinishedNotReleased() {
        Allocation a = volumes.create("data", "vm", GB, Optional.empty());
        fleet.admission.update(a.withPhase(VolumePhase.DELETING));
        assertThat(volumes.delete(a.id(), false)).isEmpty();
        assertThat(fleet.store.listAllocations()).isEmpty();
    }

    /** A volume service on one k8s server whose durable record is {@code store}. */
    private VolumeService serviceOver(FailingStore store) {
        CapacityLedger ledger = new CapacityLedger(fleet.catalog);
        ledger.putServer(new Server("k8s-1", Optional.of("k8s"), Optional.empty(), Instant.EPOCH));
        WriteThroughAllocations allocations = new WriteThroughAllocations(ledger, store);
        CapacityAdmission admission = new CapacityAdmission(ledger, allocations, new FleetLock(), fleet.clock, () -> "a1");
        return new VolumeService(fleet.catalog, admission, allocations, data);
    }

    /** Allocations in memory whose updates can fail, as a full disk under the database would. */
    private static final class FailingStore implements dsp.core.port.AllocationStore {
        private final InMemoryAllocationStore real = new InMemoryAllocationStore();
        boolean failUpdates;
        boolean failRemoves;

        public List<Allocation> listAllocations() { return real.listAllocations(); }
        public Optional<Allocation> findAllocation(String id) { return real.findAllocation(id); }
        public void addAllocation(Allocation a) { real.addAllocation(a); }
        public void updateAllocation(Allocation a) {
            if (failUpdates) {
                throw DomainException.storageFailed("database down");
            }
            real.updateAllocation(a);
        }
        public void removeAllocation(String id) {
            if (failRemoves) {
                throw DomainException.storageFailed("database down");
            }
            real.removeAllocation(id);
        }
    }
}
