package dsp.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import dsp.core.DomainException.Code;
import dsp.core.Fleet;
import dsp.core.memory.InMemoryVmStore;
import dsp.core.model.Allocation;
import dsp.core.model.PlacementPolicy;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.ReclaimPolicy;
import dsp.core.model.Thresholds;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.vm.CreateVm;
import dsp.core.vm.ServerType;
import dsp.core.vm.Template;
import dsp.core.vm.VirtualMachine;
import dsp.core.vm.VmStatus;
import dsp.core.vm.VmView;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** The VM use case over the in-memory adapters: what a create, list, get, delete and resize decide and leave behind. */
class VmUseCaseTest {

    private static final long GB = 1_000_000_000L;
    private static final Template UBUNTU = new Template("ubuntu22", VolumeFormat.QCOW2, 10 * GB, 2 * GB);
    private static final Template BIG = new Template("big", VolumeFormat.QCOW2, 60 * GB, 3 * GB);

    /** The VM use case wired to in-memory adapters, one vm-pool server. */
    private static final class World {
        final Fleet fleet;
        final ScriptedVolumes volumes = new ScriptedVolumes().withTemplate(UBUNTU).withTemplate(BIG);
        final InMemoryVmStore store = new InMemoryVmStore();
        final FailingVms vms = new FailingVms(store);
        final VmService service;

        World(PoolCatalog catalog) {
            fleet = new Fleet(catalog, servers -> List.of());
            fleet.label("vm-1", "vm");
            AtomicInteger ids = new AtomicInteger();
            service = new VmService(fleet.catalog, "vm", ServerType.HETZNER, fleet.admission, fleet.store, vms, volumes, volumes,
                    fleet.clock, () -> String.valueOf(ids.incrementAndGet()));
        }
    }

    private final World world = new World(PoolCatalog.guideDefaults());
    private final Fleet fleet = world.fleet;
    private final ScriptedVolumes volumes = world.volumes;
    private final InMemoryVmStore store = world.store;
    private final FailingVms vms = world.vms;
    private final VmService service = world.service;

    private static CreateVm body(String name, String image, String serverType) {
        return new CreateVm(name, Optional.empty(), image, Optional.ofNullable(serverType), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    private static CreateVm sized(String name, String serverType, Integer cpu, Integer memory, Long storage) {
        return new CreateVm(name, Optional.empty(), "ubuntu22", Optional.ofNullable(serverType), Optional.ofNullable(cpu),
                Optional.ofNullable(memory), Optional.ofNullable(storage), Optional.empty());
    }

    private static void refused(ThrowingCallable call, Code code, String message) {
        assertThatThrownBy(call).isInstanceOf(DomainException.class).hasMessageContaining(message)
                .extracting(e -> ((DomainException) e).code()).isEqualTo(code);
    }

    @Test
    void aVmFromAServerTypeGetsItsSizesAndADiskMadeFromTheTemplate() {
        VmView v = service.create(body("web", "ubuntu22", "cx21"));

        VirtualMachine vm = v.vm();
        assertThat(vm.id()).isEqualTo("vm-1");
        assertThat(vm.name()).isEqualTo("web");
        assertThat(vm.namespace()).isEqualTo("default");
        assertThat(vm.image()).isEqualTo("ubuntu22");
        assertThat(vm.serverType()).contains("cx21");
        assertThat(vm.cpu()).isEqualTo(2);
        assertThat(vm.memoryGb()).isEqualTo(4);
        assertThat(vm.status()).isEqualTo(VmStatus.STOPPED);
        assertThat(vm.createdAt()).isEqualTo(fleet.clock.instant());

        Allocation disk = v.disk();
        assertThat(disk.name()).isEqualTo("vm-1");
        assertThat(disk.pool()).isEqualTo("vm");
        assertThat(disk.server()).isEqualTo("vm-1");
        assertThat(disk.sizeBytes()).as("the server type's disk").isEqualTo(40 * GB);
        assertThat(disk.kind()).isEqualTo("vm-disk");
        assertThat(disk.format()).isEqualTo(VolumeFormat.QCOW2);
        assertThat(disk.template()).contains("ubuntu22");
        assertThat(disk.owner()).contains("vm-1");
        assertThat(disk.phase()).isEqualTo(VolumePhase.READY);
        assertThat(v.diskPath()).isEqualTo("memory://vm-1/vm/vm-1.qcow2");
        assertThat(vm.diskId()).isEqualTo(disk.id());

        assertThat(volumes.calls).containsExactly("make vm-1 from ubuntu22");
        assertThat(store.findVm("vm-1")).contains(vm);
        assertThat(fleet.store.findAllocation(disk.id())).contains(disk);
        assertThat(service.get("vm-1")).isEqualTo(v);
        assertThat(service.serverTypes()).isEqualTo(ServerType.HETZNER);
        assertThat(service.vmPool()).isEqualTo("vm");
    }

    @Test
    void withoutAServerTypeCpuAndMemoryAreGivenAndTheDiskIsTheTemplatesSize() {
        VmView v = service.create(sized("db", null, 3, 6, null));
        assertThat(v.vm().cpu()).isEqualTo(3);
        assertThat(v.vm().memoryGb()).isEqualTo(6);
        assertThat(v.vm().serverType()).isEmpty();
        assertThat(v.disk().sizeBytes()).isEqualTo(UBUNTU.virtualBytes());

        refused(() -> service.create(sized("db2", null, null, 6, null)), Code.INVALID, "field 'cpu' is required when no server_type");
        refused(() -> service.create(sized("db2", null, 3, null, null)), Code.INVALID, "field 'memory' is required");
    }

    @Test
    void cpuAndMemoryMayRepeatTheServerTypeButNotContradictIt() {
        assertThat(service.create(sized("same", "cx21", 2, 4, null)).vm().cpu()).isEqualTo(2);
        refused(() -> service.create(sized("more", "cx21", 3, null, null)), Code.INVALID,
                "cpu 3 contradicts the server_type, which has 2; leave cpu out or match it");
        refused(() -> service.create(sized("more", "cx21", null, 8, null)), Code.INVALID, "memory 8 contradicts the server_type, which has 4");
    }

    @Test
    void cpuAndMemoryHaveBounds() {
        assertThat(service.create(sized("max", null, 1024, 65536, null)).vm().cpu()).isEqualTo(1024);
        assertThat(service.create(sized("min", null, 1, 1, null)).vm().memoryGb()).isEqualTo(1);
        refused(() -> service.create(sized("x", null, 1025, 1, null)), Code.INVALID, "cpu must be between 1 and 1024");
        refused(() -> service.create(sized("x", null, 0, 1, null)), Code.INVALID, "cpu must be between 1 and 1024");
        refused(() -> service.create(sized("x", null, 1, 65537, null)), Code.INVALID, "memory must be between 1 and 65536");
        refused(() -> service.create(sized("x", null, 1, -1, null)), Code.INVALID, "memory must be between 1 and 65536");
        assertThat(store.listVms()).hasSize(2);
    }

    @Test
    void theDiskIsNeverSmallerThanTheServerTypesDiskOrTheTemplate() {
        assertThat(service.create(sized("exact", "cx21", null, null, 40 * GB)).disk().sizeBytes()).isEqualTo(40 * GB);
        assertThat(service.create(sized("bigger", "cx21", null, null, 50 * GB)).disk().sizeBytes()).isEqualTo(50 * GB);
        refused(() -> service.create(sized("small", "cx21", null, null, 40 * GB - 1)), Code.INVALID,
                "is smaller than the minimum 40 GB (server type cx21 disk)");
        refused(() -> service.create(sized("small", null, 1, 1, 5 * GB)), Code.INVALID,
                "storage 5 GB is smaller than the minimum 10 GB (template ubuntu22 virtual size)");
        // a template bigger than the server type's disk: the template decides, and the default is the template's size
        refused(() -> service.create(new CreateVm("small", Optional.empty(), "big", Optional.of("cx21"), Optional.empty(),
                Optional.empty(), Optional.of(50 * GB), Optional.empty())), Code.INVALID, "minimum 60 GB (template big virtual size)");
        // without a size the server type's disk is asked for, and it is refused when the template is bigger
        refused(() -> service.create(new CreateVm("fits", Optional.empty(), "big", Optional.of("cx11"), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty())), Code.INVALID,
                "storage 20 GB is smaller than the minimum 60 GB (template big virtual size)");
        assertThat(service.create(sized("plain", null, 1, 1, null)).disk().sizeBytes()).isEqualTo(10 * GB);
    }

    @Test
    void theImageAndServerTypeMustExist() {
        refused(() -> service.create(body("a", null, "cx21")), Code.INVALID, "field 'image' is required");
        refused(() -> service.create(body("a", "  ", "cx21")), Code.INVALID, "field 'image' is required");
        refused(() -> service.create(body("a", "debian", "cx21")), Code.INVALID,
                "image 'debian' is not a template; templates are [big, ubuntu22]");
        refused(() -> service.create(body("a", "ubuntu22", "zz99")), Code.INVALID, "server_type 'zz99' is unknown; known types are [cx11, cx21");
        refused(() -> service.create(body("Bad", "ubuntu22", "cx21")), Code.INVALID, "VM name 'Bad' is invalid");
        refused(() -> service.create(new CreateVm("a", Optional.of("Bad_ns"), "ubuntu22", Optional.of("cx21"), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty())), Code.INVALID, "namespace name 'Bad_ns' is invalid");
        assertThat(store.listVms()).isEmpty();
        assertThat(fleet.store.listAllocations()).isEmpty();
        assertThat(volumes.calls).isEmpty();
    }

    @Test
    void aNameIsTakenOncePerNamespace() {
        service.create(body("web", "ubuntu22", "cx11"));
        refused(() -> service.create(body("web", "ubuntu22", "cx11")), Code.CONFLICT, "a VM named 'web' already exists in namespace default");
        VmView other = service.create(new CreateVm("web", Optional.of("team-b"), "ubuntu22", Optional.of("cx11"), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty()));
        assertThat(other.vm().namespace()).isEqualTo("team-b");
        assertThat(fleet.store.listAllocations()).hasSize(2);
    }

    @Test
    void aDiskIsQcow2OrRawNeverADirectory() {
        VmView raw = service.create(new CreateVm("raw", Optional.empty(), "ubuntu22", Optional.of("cx11"), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.of(VolumeFormat.RAW)));
        assertThat(raw.disk().format()).isEqualTo(VolumeFormat.RAW);
        refused(() -> service.create(new CreateVm("dir", Optional.empty(), "ubuntu22", Optional.of("cx11"), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.of(VolumeFormat.DIRECTORY))), Code.INVALID, "qcow2 or raw, not a directory");
    }

    @Test
    void theDiskGoesOnlyWhereTheTemplateIs() {
        fleet.label("vm-2", "vm");
        fleet.admission.admit(new CapacityAdmission.Request("filler", "vm", 1000 * GB, "volume", Optional.of("vm-2")));
        volumes.heldOnlyBy(Set.of("vm-2"));
        assertThat(service.create(body("web", "ubuntu22", "cx11")).disk().server()).as("vm-1 has more room but no template").isEqualTo("vm-2");
        volumes.heldOnlyBy(Set.of("k8s-9"));
        refused(() -> service.create(body("api", "ubuntu22", "cx11")), Code.INSUFFICIENT_CAPACITY, "no server of pool vm has template ubuntu22");
    }

    @Test
    void aDiskMadeForItBeforeItIsAskedForIsNotTakenForSomeoneElsesData() {
        volumes.madeBeforeAsked("vm-1"); // Kubernetes mode: the node agent answered the PoolVolume before the API got here
        assertThat(service.create(body("web", "ubuntu22", "cx21")).disk().name()).isEqualTo("vm-1");
        assertThat(store.listVms()).hasSize(1);
        assertThat(fleet.store.listAllocations()).hasSize(1);
    }

    @Test
    void aDiskThatCannotBeMadeLeavesNoVmAndNoAllocation() {
        volumes.failNext("make");
        refused(() -> service.create(body("web", "ubuntu22", "cx21")), Code.NO_SPACE, "No space left on device");
        assertThat(store.listVms()).isEmpty();
        assertThat(fleet.store.listAllocations()).isEmpty();

        volumes.stray("vm-2"); // the next VM's disk name is taken on the server by data no record owns
        refused(() -> service.create(body("web", "ubuntu22", "cx21")), Code.CONFLICT, "which no volume owns; it is left alone");
        assertThat(volumes.calls).as("the stray data is not touched").containsExactly("make vm-1 from ubuntu22");
        assertThat(store.listVms()).isEmpty();
        assertThat(fleet.store.listAllocations()).isEmpty();
    }

    @Test
    void aVmThatCannotBeRecordedGivesItsAdmissionBack() {
        vms.failAdd = true;
        assertThatThrownBy(() -> service.create(body("web", "ubuntu22", "cx21"))).hasMessageContaining("store down");
        assertThat(fleet.store.listAllocations()).isEmpty();
        assertThat(volumes.calls).isEmpty();
    }

    @Test
    void aVmThatCannotBeMarkedDoneLosesItsDiskAgain() {
        vms.failUpdate = true;
        assertThatThrownBy(() -> service.create(body("web", "ubuntu22", "cx21"))).hasMessageContaining("store down");
        assertThat(volumes.calls).containsExactly("make vm-1 from ubuntu22", "delete vm-1");
        assertThat(store.listVms()).isEmpty();
        assertThat(fleet.store.listAllocations()).isEmpty();
    }

    @Test
    void aDiskThatCannotBeRemovedAgainStaysPendingForStartUpAndTheErrorSaysBoth() {
        vms.failUpdate = true;
        volumes.failNext("delete");
        assertThatThrownBy(() -> service.create(body("web", "ubuntu22", "cx21"))).hasMessageContaining("store down")
                .satisfies(e -> assertThat(e.getSuppressed()).extracting(Throwable::getMessage)
                        .containsExactly("delete vm-1: No space left on device"));
        assertThat(fleet.store.listAllocations()).singleElement()
                .satisfies(a -> assertThat(a.phase()).as("start-up rolls it back").isEqualTo(VolumePhase.PENDING));
        assertThat(store.listVms()).isEmpty();

        StartupReconciler.Report r = new StartupReconciler(fleet.store, store, volumes, fleet.admission).reconcile();
        assertThat(r.rolledBack()).containsExactly("vm-1");
        assertThat(fleet.store.listAllocations()).isEmpty();
        assertThat(volumes.calls).endsWith("delete vm-1");
    }

    @Test
    void listingIsSortedByNamespaceThenNameAndFiltersByNamespace() {
        for (String[] nv : new String[][] {{"b", "web"}, {"a", "zeta"}, {"b", "api"}, {"a", "alpha"}}) {
            service.create(new CreateVm(nv[1], Optional.of(nv[0]), "ubuntu22", Optional.of("cx11"), Optional.empty(),
                    Optional.empty(), Optional.empty(), Optional.empty()));
        }
        assertThat(service.list(Optional.empty())).extracting(v -> v.vm().namespace() + "/" + v.vm().name())
                .containsExactly("a/alpha", "a/zeta", "b/api", "b/web");
        assertThat(service.list(Optional.of("b"))).extracting(v -> v.vm().name()).containsExactly("api", "web");
        assertThat(service.list(Optional.of("b"))).allSatisfy(v -> assertThat(v.diskPath()).startsWith("memory://vm-1/vm/"));
        assertThat(service.list(Optional.of("c"))).isEmpty();
        refused(() -> service.list(Optional.of("B!")), Code.INVALID, "namespace name");
    }

    @Test
    void anUnknownOrMalformedIdIsNotFound() {
        refused(() -> service.get("vm-9"), Code.NOT_FOUND, "VM 'vm-9' does not exist");
        refused(() -> service.get("../etc"), Code.NOT_FOUND, "does not exist");
        refused(() -> service.get(null), Code.NOT_FOUND, "does not exist");
        refused(() -> service.delete("vm-9", false), Code.NOT_FOUND, "does not exist");
        refused(() -> service.resize("vm-9", 50 * GB), Code.NOT_FOUND, "does not exist");
    }

    @Test
    void deletingAVmInARetainPoolKeepsItsDiskAsReleased() {
        VmView v = service.create(body("web", "ubuntu22", "cx21"));
        Optional<Allocation> kept = service.delete(v.vm().id(), false);

        assertThat(kept).hasValueSatisfying(d -> {
            assertThat(d.id()).isEqualTo(v.disk().id());
            assertThat(d.phase()).isEqualTo(VolumePhase.RELEASED);
            assertThat(d.owner()).isEmpty();
        });
        assertThat(fleet.store.findAllocation(v.disk().id())).isEqualTo(kept);
        assertThat(store.listVms()).isEmpty();
        assertThat(volumes.calls).containsExactly("make vm-1 from ubuntu22");
    }

    @Test
    void purgingAVmDeletesItsDiskAndFreesItsCapacity() {
        VmView v = service.create(body("web", "ubuntu22", "cx21"));
        assertThat(service.delete(v.vm().id(), true)).isEmpty();
        assertThat(store.listVms()).isEmpty();
        assertThat(fleet.store.listAllocations()).isEmpty();
        assertThat(volumes.calls).containsExactly("make vm-1 from ubuntu22", "delete vm-1");
        assertThat(volumes.exists(v.disk())).isFalse();
    }

    @Test
    void inADeletePoolTheDiskGoesWithTheVm() {
        PoolCatalog deleting = new PoolCatalog(List.of(
                new PoolDefinition("vm", "vm", PoolCatalog.GUIDE_SHARE, "vm-pool-storage", "/vm-storage-pool", ReclaimPolicy.DELETE, 1.0)),
                PoolCatalog.GUIDE_RESERVE, Thresholds.GUIDE, PlacementPolicy.LEAST_ALLOCATED);
        World world = new World(deleting);
        VmView v = world.service.create(body("web", "ubuntu22", "cx21"));
        assertThat(world.service.delete(v.vm().id(), false)).isEmpty();
        assertThat(world.fleet.store.listAllocations()).isEmpty();
        assertThat(world.volumes.calls).containsExactly("make vm-1 from ubuntu22", "delete vm-1");
    }

    @Test
    void aDiskLeftDeletingIsDeletedByTheNextDeleteWhateverItAsks() {
        VmView v = service.create(body("web", "ubuntu22", "cx21"));
        fleet.admission.update(v.disk().withPhase(VolumePhase.DELETING));
        assertThat(service.delete(v.vm().id(), false)).isEmpty();
        assertThat(fleet.store.listAllocations()).isEmpty();
        assertThat(volumes.calls).endsWith("delete vm-1");
    }

    @Test
    void aVmWhoseDiskRecordIsGoneIsAConflictNotACrash() {
        VmView v = service.create(body("web", "ubuntu22", "cx21"));
        fleet.store.removeAllocation(v.disk().id());
        refused(() -> service.get(v.vm().id()), Code.CONFLICT, "VM vm-1 has no disk record");
        refused(() -> service.delete(v.vm().id(), true), Code.CONFLICT, "VM vm-1 has no disk record");
        refused(() -> service.resize(v.vm().id(), 80 * GB), Code.CONFLICT, "VM vm-1 has no disk record");
        refused(() -> service.list(Optional.empty()), Code.CONFLICT, "has no disk record");
    }

    @Test
    void resizingGrowsTheRecordAndTheImage() {
        VmView v = service.create(body("web", "ubuntu22", "cx21"));
        VmView grown = service.resize(v.vm().id(), 100 * GB);
        assertThat(grown.disk().sizeBytes()).isEqualTo(100 * GB);
        assertThat(grown.vm()).isEqualTo(v.vm());
        assertThat(volumes.presentedBytes(grown.disk())).isEqualTo(100 * GB);
        assertThat(volumes.calls).containsExactly("make vm-1 from ubuntu22", "grow vm-1 100000000000");

        assertThat(service.resize(v.vm().id(), 100 * GB).disk().sizeBytes()).as("the same size again").isEqualTo(100 * GB);
        assertThat(volumes.calls).as("changes nothing when the image already has it").hasSize(2);

        refused(() -> service.resize(v.vm().id(), 99 * GB), Code.CONFLICT, "is not supported (grow only)");
        refused(() -> service.resize(v.vm().id(), 5000 * GB), Code.INSUFFICIENT_CAPACITY, "has 1.4 TB free");
        assertThat(fleet.store.findAllocation(v.disk().id()).orElseThrow().sizeBytes()).isEqualTo(100 * GB);
    }

    @Test
    void theSameSizeGrowsAnImageThatIsSmallerThanItsRecord() {
        VmView v = service.create(body("web", "ubuntu22", "cx21"));
        volumes.real.grow(v.disk(), 30 * GB); // a crash between growing the record and the image
        service.resize(v.vm().id(), 40 * GB);
        assertThat(volumes.presentedBytes(v.disk())).isEqualTo(40 * GB);
        assertThat(volumes.calls).endsWith("grow vm-1 40000000000");
    }

    @Test
    void anImageThatCannotGrowKeepsItsRecordAtTheOldSize() {
        VmView v = service.create(body("web", "ubuntu22", "cx21"));
        volumes.failNext("grow");
        refused(() -> service.resize(v.vm().id(), 100 * GB), Code.NO_SPACE, "No space left");
        assertThat(fleet.store.findAllocation(v.disk().id()).orElseThrow().sizeBytes()).isEqualTo(40 * GB);
        assertThat(service.get(v.vm().id()).disk().sizeBytes()).isEqualTo(40 * GB);
    }

    @Test
    void aVmStillBeingCreatedCannotBeResized() {
        VmView v = service.create(body("web", "ubuntu22", "cx21"));
        store.updateVm(v.vm().withStatus(VmStatus.CREATING));
        refused(() -> service.resize(v.vm().id(), 100 * GB), Code.CONFLICT, "VM vm-1 is creating; try again when it is created");
    }

    /** A VM store that can fail to record or to update, as a full disk under the database would. */
    private static final class FailingVms implements dsp.core.port.VmStore {
        private final InMemoryVmStore real;
        boolean failAdd;
        boolean failUpdate;

        FailingVms(InMemoryVmStore real) {
            this.real = real;
        }

        public List<VirtualMachine> listVms() { return real.listVms(); }
        public Optional<VirtualMachine> findVm(String id) { return real.findVm(id); }
        public void addVm(VirtualMachine vm) {
            if (failAdd) {
                throw DomainException.storageFailed("store down");
            }
            real.addVm(vm);
        }
        public void updateVm(VirtualMachine vm) {
            if (failUpdate) {
                throw DomainException.storageFailed("store down");
            }
            real.updateVm(vm);
        }
        public void removeVm(String id) { real.removeVm(id); }
    }
}
