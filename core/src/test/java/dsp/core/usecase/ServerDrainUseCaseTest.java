package dsp.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dsp.core.DomainException;
import dsp.core.Fleet;
import dsp.core.memory.InMemoryVmStore;
import dsp.core.model.Allocation;
import dsp.core.model.MoveRecords;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.port.VolumeCopier;
import dsp.core.port.VolumeMaker;
import dsp.core.usecase.ServerDrain.Action;
import dsp.core.usecase.ServerDrain.Item;
import dsp.core.usecase.ServerDrain.Report;
import dsp.core.vm.Template;
import dsp.core.vm.VirtualMachine;
import dsp.core.vm.VmStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Server drain and the settling of half-done moves over in-memory adapters: the servers' disks
 * are places ({@code server/pool/name}) holding data, so a test sees where every byte is after a
 * move, a failed step or a settlement.
 */
class ServerDrainUseCaseTest {

    private static final long GB = 1_000_000_000L;
    private static final Template UBUNTU = new Template("ubuntu22", VolumeFormat.QCOW2, 10 * GB, 2 * GB);

    /** Every server's disk as places holding data; a move copies data from one place to another. */
    static final class Disks implements VolumeMaker, VolumeCopier {
        final Map<String, String> data = new ConcurrentHashMap<>();
        /** Copies made and verified but not yet put in place, by copy record id. */
        final Map<String, String> temporaries = new ConcurrentHashMap<>();
        /** Places a running VM has open (its image lock). */
        final Set<String> open = ConcurrentHashMap.newKeySet();
        final Set<String> held = ConcurrentHashMap.newKeySet();
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        /** Where what runs a volume is bound (a KubeVirt pin), by volume id; none: it follows the volume's record. */
        final Map<String, String> bound = new ConcurrentHashMap<>();
        /** Volumes whose VM was started (wherever it is bound). */
        final Set<String> started = ConcurrentHashMap.newKeySet();
        /** Runs once a copy is put in place (e.g. a process opening the original). */
        volatile Runnable afterPublish = () -> { };
        private final Set<String> failing = ConcurrentHashMap.newKeySet();

        static String place(Allocation a) {
            return a.server() + "/" + a.pool() + "/" + a.name();
        }

        /** The next call of this step (make, delete, copy, publish, discard) fails as a full disk would. */
        void failNext(String step) {
            failing.add(step);
        }

        private void step(String step, Allocation a) {
            calls.add(step + " " + place(a));
            if (failing.remove(step)) {
                throw DomainException.noSpace(step + " " + a.name() + ": No space left on device");
            }
        }

        @Override
        public String make(Allocation a, Optional<Template> template) {
            step("make", a);
            data.putIfAbsent(place(a), "data of " + a.name());
            return pathOf(a);
        }

        @Override
        public void grow(Allocation a, long newSizeBytes) {
            step("grow", a);
        }

        @Override
        public void delete(Allocation a) {
            step("delete", a);
            if (open.contains(place(a))) {
                throw DomainException.conflict(a.name() + " is in use");
            }
            data.remove(place(a));
        }

        @Override
        public boolean exists(Allocation a) {
            return data.containsKey(place(a));
        }

        @Override
        public long presentedBytes(Allocation a) {
            return exists(a) ? a.sizeBytes() : 0;
        }

        @Override
        public long measuredBytes(Allocation a) {
            return 0;
        }

        @Override
        public String pathOf(Allocation a) {
            return "disk://" + place(a);
        }

        @Override
        public int sweepTemporaries() {
            return 0;
        }

        @Override
        public boolean inUse(Allocation volume) {
            return open.contains(place(volume));
        }

        @Override
        public Optional<String> boundTo(Allocation volume) {
            return Optional.ofNullable(bound.get(volume.id()));
        }

        @Override
        public void bindTo(Allocation volume, Allocation place) {
            String now = bound.get(volume.id());
            if (now == null || now.equals(place.server())) {
                return;
            }
            if (started.contains(volume.id())) {
                throw DomainException.conflict("it runs on " + now);
            }
            bound.put(volume.id(), place.server());
        }

        @Override
        public Hold hold(Allocation volume) {
            if (inUse(volume)) {
                throw DomainException.conflict(volume.name() + " is open");
            }
            held.add(place(volume));
            return () -> held.remove(place(volume));
        }

        @Override
        public void copy(Allocation source, Allocation copy, Optional<Template> template) {
            step("copy", copy);
            assertThat(held).as("the source is held while it is copied").contains(place(source));
            String bytes = data.get(place(source));
            if (bytes == null) {
                throw DomainException.storageFailed(source.name() + " has no data");
            }
            temporaries.put(copy.id(), bytes);
        }

        @Override
        public void publish(Allocation copy) {
            step("publish", copy);
            if (data.containsKey(place(copy))) {
                throw DomainException.conflict("something is already at " + place(copy));
            }
            data.put(place(copy), temporaries.remove(copy.id()));
            afterPublish.run();
        }

        @Override
        public void discard(Allocation copy) {
            step("discard", copy);
            temporaries.remove(copy.id());
        }
    }

    private final Fleet fleet = new Fleet();
    private final Disks disks = new Disks();
    private final ScriptedVolumes templates = new ScriptedVolumes().withTemplate(UBUNTU);
    private final InMemoryVmStore vms = new InMemoryVmStore();
    private final AtomicInteger ids = new AtomicInteger();
    private final List<String> progress = Collections.synchronizedList(new ArrayList<>());
    private final ServerDrain drain = drain(Optional.of(disks));
    private final MoveSettlement settlement = new MoveSettlement(fleet.store, fleet.admission, disks);

    private ServerDrain drain(Optional<VolumeCopier> copier) {
        return new ServerDrain(fleet.catalog, fleet.inventory, fleet.store, vms, fleet.admission, disks, copier, templates,
                new OperationOrder(), () -> String.valueOf(ids.incrementAndGet()));
    }

    /** A qcow2 disk made from the template on {@code server}, with data at its place, owned by a stopped VM of the same name. */
    private Allocation vmDisk(String name, String server, long size, VmStatus status) {
        Allocation disk = disk(name, server, size, VolumeFormat.QCOW2, Optional.of(UBUNTU.name()), Optional.of("vm-" + name));
        vms.addVm(new VirtualMachine("vm-" + name, name, "default", UBUNTU.name(), Optional.empty(), 2, 4, disk.id(), status,
                fleet.clock.instant()));
        return disk;
    }

    private Allocation disk(String name, String server, long size, VolumeFormat format, Optional<String> template,
                            Optional<String> owner) {
        Allocation a = fleet.admission.admit(new CapacityAdmission.Request(name, "vm", size, "vm-disk", Optional.of(server),
                format, template, owner, VolumePhase.READY));
        disks.make(a, Optional.empty());
        return a;
    }

    private Report drain(String server) {
        return drain.drain(server, (done, total, step) -> progress.add(done + "/" + total + " " + step));
    }

    private Item item(Report report, String volume) {
        return report.items().stream().filter(i -> i.volume().name().equals(volume)).findFirst().orElseThrow();
    }

    private Allocation record(Allocation a) {
        return fleet.store.findAllocation(a.id()).orElseThrow();
    }

    private List<Allocation> moveRecords() {
        return fleet.store.listAllocations().stream().filter(MoveRecords::isMoveRecord).toList();
    }

    /** The ledger, the durable record and a restart's ledger agree on every server's allocated bytes. */
    private void assertCounted(String... servers) {
        for (String s : servers) {
            long recorded = fleet.recordedAllocations.listAllocations().stream().filter(a -> a.server().equals(s))
                    .mapToLong(Allocation::sizeBytes).sum();
            assertThat(fleet.ledger.allocatedOn(s)).as("allocated on " + s).isEqualTo(recorded);
            assertThat(fleet.reloaded().allocatedOn(s)).as("allocated on " + s + " after a restart").isEqualTo(recorded);
        }
    }

    @Test
    void aStoppedVmsDiskMovesWithItsDataAndNothingIsLeftBehind() {
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        Allocation disk = vmDisk("web", "vm-1", 40 * GB, VmStatus.STOPPED);

        Report report = drain("vm-1");

        assertThat(report.server()).isEqualTo("vm-1");
        assertThat(report.dryRun()).isFalse();
        Item moved = item(report, "web");
        assertThat(moved.action()).isEqualTo(Action.MOVED);
        assertThat(moved.target()).contains("vm-2");
        assertThat(moved.reason()).isEmpty();
        assertThat(moved.vm()).hasValueSatisfying(v -> assertThat(v.name()).isEqualTo("web"));
        assertThat(moved.volume().server()).isEqualTo("vm-2");
        assertThat(report.drained()).isTrue();
        assertThat(report.count(Action.MOVED)).isEqualTo(1);
        assertThat(report.count(Action.FAILED)).isZero();

        assertThat(disks.data).containsExactly(Map.entry("vm-2/vm/web", "data of web"));
        assertThat(disks.temporaries).isEmpty();
        assertThat(disks.held).as("the hold is released").isEmpty();
        assertThat(record(disk).server()).isEqualTo("vm-2");
        assertThat(record(disk)).isEqualTo(disk.withServer("vm-2"));
        assertThat(moveRecords()).isEmpty();
        assertThat(fleet.ledger.allocatedOn("vm-1")).isZero();
        assertThat(fleet.ledger.allocatedOn("vm-2")).isEqualTo(40 * GB);
        assertCounted("vm-1", "vm-2");
        assertThat(progress).containsExactly("0/1 moving web to vm-2", "1/1 moved web");
        assertThat(disks.calls).containsExactly("make vm-1/vm/web", "copy vm-2/vm/web", "publish vm-2/vm/web", "delete vm-1/vm/web");

        Report again = drain("vm-1");
        assertThat(again.items()).isEmpty();
        assertThat(again.drained()).isTrue();
    }

    @Test
    void theDryRunSaysWhatMovesAndWhyTheRestStaysAndChangesNothing() {
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        vmDisk("a-stopped", "vm-1", 10 * GB, VmStatus.STOPPED);
        vmDisk("b-creating", "vm-1", 10 * GB, VmStatus.CREATING);
        Allocation open = vmDisk("c-running", "vm-1", 10 * GB, VmStatus.STOPPED);
        disks.open.add(Disks.place(open));
        disk("d-directory", "vm-1", 10 * GB, VolumeFormat.DIRECTORY, Optional.empty(), Optional.empty());
        disk("e-used", "vm-1", 10 * GB, VolumeFormat.RAW, Optional.empty(), Optional.of("someone-else"));
        Allocation pending = fleet.admission.admit(new CapacityAdmission.Request("f-pending", "vm", GB, "vm-disk",
                Optional.of("vm-1"), VolumeFormat.RAW, Optional.empty(), Optional.empty(), VolumePhase.PENDING));
        Allocation deleting = fleet.admission.admit(new CapacityAdmission.Request("g-deleting", "vm", GB, "vm-disk",
                Optional.of("vm-1"), VolumeFormat.RAW, Optional.empty(), Optional.empty(), VolumePhase.DELETING));
        disk("h-released", "vm-1", 10 * GB, VolumeFormat.RAW, Optional.empty(), Optional.empty());
        fleet.label("vm-3", "k8s");
        fleet.admission.admit(new CapacityAdmission.Request("i-other-server", "vm", GB, "vm-disk", Optional.of("vm-2")));
        List<Allocation> recordsBefore = fleet.store.listAllocations();
        Map<String, String> dataBefore = Map.copyOf(disks.data);

        Report plan = drain.plan("vm-1");

        assertThat(plan.dryRun()).isTrue();
        assertThat(plan.items()).extracting(i -> i.volume().name()).containsExactly("a-stopped", "b-creating", "c-running",
                "d-directory", "e-used", "f-pending", "g-deleting", "h-released");
        assertThat(item(plan, "a-stopped").action()).isEqualTo(Action.MOVE);
        assertThat(item(plan, "a-stopped").target()).contains("vm-2");
        assertThat(item(plan, "a-stopped").reason()).isEmpty();
        assertThat(item(plan, "h-released").action()).isEqualTo(Action.MOVE);
        assertThat(item(plan, "b-creating").reason()).contains("VM b-creating is creating; drain again when it is stopped");
        assertThat(item(plan, "c-running").reason()).contains("VM c-running is running (its image lock is held); stop it and drain again");
        assertThat(item(plan, "d-directory").reason()).hasValueSatisfying(r -> assertThat(r).startsWith("a directory volume is used in place"));
        assertThat(item(plan, "e-used").reason()).contains("it is in use by someone-else");
        assertThat(item(plan, "f-pending").reason()).contains("it is still being made; drain again when it is Ready");
        assertThat(item(plan, "g-deleting").reason()).contains("it is being deleted");
        assertThat(plan.items()).filteredOn(i -> i.action() == Action.STAYS)
                .allSatisfy(i -> assertThat(i.target()).isEmpty()).hasSize(6);
        assertThat(plan.count(Action.MOVE)).isEqualTo(2);
        assertThat(plan.count(Action.STAYS)).isEqualTo(6);
        assertThat(plan.drained()).isFalse();
        assertThat(Action.STAYS.display()).isEqualTo("stays");

        assertThat(fleet.store.listAllocations()).containsExactlyInAnyOrderElementsOf(recordsBefore);
        assertThat(disks.data).isEqualTo(dataBefore);
        assertThat(disks.held).isEmpty();
        assertThat(pending.phase()).isEqualTo(VolumePhase.PENDING);
        assertThat(deleting.phase()).isEqualTo(VolumePhase.DELETING);
        assertCounted("vm-1", "vm-2");

        // the drain itself moves exactly what the plan said, and what stays stays untouched
        Report report = drain("vm-1");
        assertThat(report.count(Action.MOVED)).isEqualTo(2);
        assertThat(report.count(Action.STAYS)).isEqualTo(6);
        assertThat(report.drained()).isFalse();
        assertThat(disks.data).containsKeys("vm-2/vm/a-stopped", "vm-2/vm/h-released", "vm-1/vm/c-running", "vm-1/vm/d-directory")
                .doesNotContainKeys("vm-1/vm/a-stopped", "vm-1/vm/h-released");
        assertThat(progress).containsExactly("0/2 moving a-stopped to vm-2", "1/2 moved a-stopped",
                "1/2 moving h-released to vm-2", "2/2 moved h-released");
        assertCounted("vm-1", "vm-2");
    }

    @Test
    void aDryRunOfAnEmptyServerIsDrained() {
        fleet.label("vm-1", "vm");
        Report plan = drain.plan("vm-1");
        assertThat(plan.items()).isEmpty();
        assertThat(plan.drained()).isTrue();
    }

    @Test
    void theRoomAPlanGivesOneDiskIsNotGivenTwice() {
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        fleet.label("vm-3", "vm");
        fleet.admission.admit(new CapacityAdmission.Request("filler-2", "vm", 1400 * GB, "volume", Optional.of("vm-2")));
        fleet.admission.admit(new CapacityAdmission.Request("filler-3", "vm", 1450 * GB, "volume", Optional.of("vm-3")));
        vmDisk("a", "vm-1", 60 * GB, VmStatus.STOPPED);
        vmDisk("b", "vm-1", 50 * GB, VmStatus.STOPPED);
        vmDisk("c", "vm-1", 50 * GB, VmStatus.STOPPED);

        Report plan = drain.plan("vm-1");

        // least allocated first: a (60) goes to vm-2 (100 free), b (50) to vm-3 (50 free), then nothing has 50 left
        assertThat(item(plan, "a").target()).contains("vm-2");
        assertThat(item(plan, "b").target()).contains("vm-3");
        assertThat(item(plan, "c").action()).isEqualTo(Action.STAYS);
        assertThat(item(plan, "c").reason())
                .contains("no other server of pool vm has room for 50 GB (the most one can take is 40 GB)");

        Report report = drain("vm-1");
        assertThat(item(report, "a").target()).contains("vm-2");
        assertThat(item(report, "b").target()).contains("vm-3");
        assertThat(item(report, "c").action()).isEqualTo(Action.STAYS);
        assertThat(disks.data).containsKeys("vm-2/vm/a", "vm-3/vm/b", "vm-1/vm/c");
        assertCounted("vm-1", "vm-2", "vm-3");
    }

    @Test
    void whereNoOtherServerCanTakeItTheReasonSaysWhy() {
        fleet.label("vm-1", "vm");
        vmDisk("alone", "vm-1", 10 * GB, VmStatus.STOPPED);
        assertThat(item(drain.plan("vm-1"), "alone").reason()).contains("pool vm has no other server");

        fleet.label("vm-2", "vm");
        templates.heldOnlyBy(Set.of("vm-1"));
        assertThat(item(drain.plan("vm-1"), "alone").reason()).contains("no other server of pool vm holds template ubuntu22");
        Report report = drain("vm-1");
        assertThat(item(report, "alone").action()).isEqualTo(Action.STAYS);
        assertThat(disks.data).containsOnlyKeys("vm-1/vm/alone");

        templates.heldOnlyBy(Set.of("vm-1", "vm-2"));
        assertThat(item(drain.plan("vm-1"), "alone").target()).contains("vm-2");
    }

    @Test
    void aModeThatCannotCopyDataShowsWhereItCouldGoAndMovesNothing() {
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        vmDisk("web", "vm-1", 10 * GB, VmStatus.STOPPED);

        Report report = drain(Optional.empty()).drain("vm-1", dsp.core.operation.Operations.Progress.NONE);

        Item web = item(report, "web");
        assertThat(web.action()).isEqualTo(Action.STAYS);
        assertThat(web.target()).contains("vm-2");
        assertThat(web.reason()).hasValueSatisfying(r -> assertThat(r)
                .startsWith("this mode moves no data between servers").contains("it could go to vm-2"));
        assertThat(disks.data).containsOnlyKeys("vm-1/vm/web");
        assertThat(moveRecords()).isEmpty();
    }

    @Test
    void anUnknownServerIsNotFound() {
        assertThatThrownBy(() -> drain.plan("nowhere")).isInstanceOf(DomainException.class)
                .hasMessage("server 'nowhere' does not exist")
                .extracting(e -> ((DomainException) e).code()).isEqualTo(DomainException.Code.NOT_FOUND);
    }

    @Test
    void aCopyThatFailsLeavesTheDiskWholeWhereItWasAndTheTargetFree() {
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        Allocation disk = vmDisk("web", "vm-1", 40 * GB, VmStatus.STOPPED);
        disks.failNext("copy");

        Item web = item(drain("vm-1"), "web");

        assertThat(web.action()).isEqualTo(Action.FAILED);
        assertThat(web.target()).isEmpty();
        assertThat(web.reason()).contains("copy web: No space left on device; it stays where it was, intact");
        assertThat(web.volume()).isEqualTo(disk);
        assertThat(disks.data).containsExactly(Map.entry("vm-1/vm/web", "data of web"));
        assertThat(disks.calls).containsSubsequence("copy vm-2/vm/web", "discard vm-2/vm/web");
        assertThat(disks.held).isEmpty();
        assertThat(record(disk)).isEqualTo(disk);
        assertThat(moveRecords()).isEmpty();
        assertThat(fleet.ledger.allocatedOn("vm-2")).as("the copy's room is given back").isZero();
        assertCounted("vm-1", "vm-2");
    }

    @Test
    void aCopyThatCannotBePutInPlaceNeverReplacesWhatIsThereAndIsDiscarded() {
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        Allocation disk = vmDisk("web", "vm-1", 40 * GB, VmStatus.STOPPED);
        disks.data.put("vm-2/vm/web", "someone's stray file");

        Item web = item(drain("vm-1"), "web");

        assertThat(web.action()).isEqualTo(Action.FAILED);
        assertThat(web.reason()).hasValueSatisfying(r -> assertThat(r).startsWith("something is already at vm-2/vm/web")
                .endsWith("; it stays where it was, intact"));
        assertThat(disks.data).containsOnly(Map.entry("vm-1/vm/web", "data of web"), Map.entry("vm-2/vm/web", "someone's stray file"));
        assertThat(disks.temporaries).as("the verified copy is discarded").isEmpty();
        assertThat(disks.calls).contains("discard vm-2/vm/web").doesNotContain("delete vm-2/vm/web");
        assertThat(record(disk)).isEqualTo(disk);
        assertThat(moveRecords()).isEmpty();
        assertCounted("vm-1", "vm-2");
    }

    @Test
    void anOriginalThatCannotBeDeletedYetIsReportedAndGoesOnceItIsFree() {
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        Allocation disk = vmDisk("web", "vm-1", 40 * GB, VmStatus.STOPPED);
        disks.failNext("delete");

        Item once = item(drain("vm-1"), "web");
        // one failed delete: settling the move deletes the original right away
        assertThat(once.action()).isEqualTo(Action.MOVED);
        assertThat(once.reason()).isEmpty();
        assertThat(disks.data).containsOnlyKeys("vm-2/vm/web");
        assertThat(moveRecords()).isEmpty();
        assertCounted("vm-1", "vm-2");

        // this time a process holds the original open after the switch, until it lets go
        Allocation other = vmDisk("db", "vm-1", 30 * GB, VmStatus.STOPPED);
        disks.afterPublish = () -> disks.open.add("vm-1/vm/db");
        Item stuck = item(drain("vm-1"), "db");
        assertThat(stuck.action()).isEqualTo(Action.MOVED);
        assertThat(stuck.target()).contains("vm-2");
        assertThat(stuck.reason()).hasValueSatisfying(r -> assertThat(r)
                .startsWith("moved; the original on vm-1 is not deleted yet: db is in use")
                .contains("db is in use (left for the next drain or start)"));
        assertThat(record(other).server()).isEqualTo("vm-2");
        assertThat(disks.data).containsKeys("vm-2/vm/db", "vm-1/vm/db");
        assertThat(moveRecords()).singleElement().satisfies(o -> {
            assertThat(o.kind()).isEqualTo(MoveRecords.ORIGINAL);
            assertThat(o.server()).isEqualTo("vm-1");
            assertThat(o.owner()).contains(other.id());
        });
        assertThat(fleet.ledger.allocatedOn("vm-1")).as("the original counts where it is until it is gone").isEqualTo(30 * GB);
        assertCounted("vm-1", "vm-2");

        Report meanwhile = drain.plan("vm-1");
        assertThat(meanwhile.items()).singleElement().satisfies(i -> {
            assertThat(i.action()).isEqualTo(Action.STAYS);
            assertThat(i.reason()).hasValueSatisfying(r -> assertThat(r).startsWith("the original of volume " + other.id() + ", which moved away"));
        });
        assertThat(item(drain.plan("vm-2"), "db").volume().id()).as("the copy is the volume now").isEqualTo(other.id());

        disks.open.remove("vm-1/vm/db");
        MoveSettlement.Outcome outcome = settlement.settleAll();
        assertThat(outcome.finished()).containsExactly(other.id());
        assertThat(outcome.undone()).isEmpty();
        assertThat(outcome.problems()).isEmpty();
        assertThat(outcome.changedAnything()).isTrue();
        assertThat(disks.data).containsOnlyKeys("vm-2/vm/web", "vm-2/vm/db");
        assertThat(moveRecords()).isEmpty();
        assertCounted("vm-1", "vm-2");
        assertThat(settlement.settleAll().changedAnything()).as("settling is idempotent").isFalse();
    }

    @Test
    void aCopyWhoseOriginalWasNeverRecordedIsUndoneAtSettlement() {
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        Allocation disk = vmDisk("web", "vm-1", 40 * GB, VmStatus.STOPPED);
        // a crash after the copy was verified and put in place, before the move was decided
        Allocation copy = fleet.admission.admitCopy(disk, s -> true, "copy-1");
        assertThat(copy.server()).isEqualTo("vm-2");
        assertThat(copy.phase()).isEqualTo(VolumePhase.PENDING);
        assertThat(copy.kind()).isEqualTo(MoveRecords.COPY);
        assertThat(copy.owner()).contains(disk.id());
        assertThat(fleet.ledger.allocatedOn("vm-2")).as("both copies count until the switch").isEqualTo(40 * GB);
        fleet.admission.update(copy.withPhase(VolumePhase.READY));
        disks.data.put(Disks.place(copy), "data of web");
        // and one whose copy never got past Pending: its temporary is the copier's to sweep
        Allocation pendingDisk = vmDisk("db", "vm-1", 10 * GB, VmStatus.STOPPED);
        fleet.admission.admitCopy(pendingDisk, s -> true, "copy-2");

        assertThat(item(drain.plan("vm-2"), "web").reason())
                .hasValueSatisfying(r -> assertThat(r).startsWith("a copy of volume " + disk.id() + " arriving here"));

        MoveSettlement.Outcome outcome = settlement.settleAll();

        assertThat(outcome.undone()).containsExactlyInAnyOrder(disk.id(), pendingDisk.id());
        assertThat(outcome.finished()).isEmpty();
        assertThat(outcome.changedAnything()).isTrue();
        assertThat(disks.data).containsOnlyKeys("vm-1/vm/web", "vm-1/vm/db");
        assertThat(record(disk)).isEqualTo(disk);
        assertThat(moveRecords()).isEmpty();
        assertThat(fleet.ledger.allocatedOn("vm-2")).isZero();
        assertCounted("vm-1", "vm-2");
    }

    /** web's disk on vm-1, its verified copy on vm-2 and the move decided (its original recorded), as a crash leaves it. */
    private Allocation decidedMoveOfWeb() {
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        Allocation disk = vmDisk("web", "vm-1", 40 * GB, VmStatus.STOPPED);
        Allocation copy = fleet.admission.update(fleet.admission.admitCopy(disk, s -> true, "copy-1").withPhase(VolumePhase.READY));
        disks.data.put(Disks.place(copy), "data of web");
        fleet.admission.recordOriginal(disk, "original-1");
        return disk;
    }

    @Test
    void settlingAMoveWaitsForTheTurnOfItsVmSoADeleteOrResizeNeverInterleaves() throws Exception {
        Allocation disk = decidedMoveOfWeb();
        OperationOrder order = new OperationOrder();
        MoveSettlement shared = new MoveSettlement(fleet.store, fleet.admission, disks, order, Optional.empty());
        CountDownLatch inTurn = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        // a VM operation (a delete, a resize) holds the VM's turn
        Thread vmOperation = new Thread(() -> order.run("vm-web", () -> {
            inTurn.countDown();
            try {
                letGo.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        vmOperation.start();
        inTurn.await();
        CompletableFuture<MoveSettlement.Outcome> settling = CompletableFuture.supplyAsync(shared::settleAll);

        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .until(() -> !settling.isDone() && record(disk).server().equals("vm-1"));
        letGo.countDown();

        assertThat(settling.get(30, TimeUnit.SECONDS).finished()).containsExactly(disk.id());
        vmOperation.join();
        assertThat(record(disk).server()).isEqualTo("vm-2");
        assertThat(disks.data).containsOnlyKeys("vm-2/vm/web");
    }

    @Test
    void aDecidedMoveIsFinishedAtSettlementAndAnUnverifiedCopyIsNeverSwitchedTo() {
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        Allocation disk = vmDisk("web", "vm-1", 40 * GB, VmStatus.STOPPED);
        Allocation copy = fleet.admission.update(fleet.admission.admitCopy(disk, s -> true, "copy-1").withPhase(VolumePhase.READY));
        disks.data.put(Disks.place(copy), "data of web");
        Allocation original = fleet.admission.recordOriginal(disk, "original-1");
        assertThat(original.kind()).isEqualTo(MoveRecords.ORIGINAL);
        assertThat(original.server()).isEqualTo("vm-1");
        assertThat(original.phase()).isEqualTo(VolumePhase.DELETING);
        assertThat(original.owner()).contains(disk.id());
        // crash before the switch: the volume's record still points at the original
        Allocation unverified = vmDisk("db", "vm-1", 10 * GB, VmStatus.STOPPED);
        fleet.admission.admitCopy(unverified, s -> true, "copy-2");
        fleet.admission.recordOriginal(unverified, "original-2");

        MoveSettlement.Outcome outcome = settlement.settleAll();

        assertThat(outcome.finished()).containsExactly(disk.id());
        assertThat(outcome.problems()).singleElement().asString().isEqualTo("move of " + unverified.id() + ": the move of "
                + unverified.id() + " has an original record but its copy was never verified; nothing was changed");
        assertThat(record(disk).server()).isEqualTo("vm-2");
        assertThat(disks.data).containsOnlyKeys("vm-2/vm/web", "vm-1/vm/db");
        assertThat(record(unverified)).isEqualTo(unverified);
        assertThat(moveRecords()).extracting(Allocation::owner).containsOnly(Optional.of(unverified.id())).hasSize(2);
        assertCounted("vm-1", "vm-2");
        assertThat(settlement.settle("no-such-volume")).as("nothing to settle: it stays where it was").isFalse();
    }

    /** Settling by where the VM is bound too (Kubernetes: KubeVirt's pin), as the drain's own settling and MoveRecovery do. */
    private final MoveSettlement bindingSettlement = new MoveSettlement(fleet.store, fleet.admission, disks, new OperationOrder(),
            Optional.of(disks));

    @Test
    void aDecidedMoveWhoseVmWasStartedWhereItWasIsUndoneKeepingTheDataItRunsOn() {
        Allocation disk = decidedMoveOfWeb();
        disks.bound.put(disk.id(), "vm-1");
        disks.started.add(disk.id()); // started before it could be pinned to the copy
        disks.data.put("vm-1/vm/web", "what the VM wrote");

        assertThat(bindingSettlement.settle(disk.id())).isFalse();

        assertThat(disks.data).containsExactly(Map.entry("vm-1/vm/web", "what the VM wrote"));
        assertThat(record(disk).server()).isEqualTo("vm-1");
        assertThat(moveRecords()).isEmpty();
        assertCounted("vm-1", "vm-2");
    }

    @Test
    void aDecidedMoveWhoseVmIsHaltedIsPinnedToTheCopyAndFinished() {
        Allocation disk = decidedMoveOfWeb();
        disks.bound.put(disk.id(), "vm-1");

        assertThat(bindingSettlement.settle(disk.id())).isTrue();

        assertThat(disks.bound).containsEntry(disk.id(), "vm-2");
        assertThat(disks.data).containsOnlyKeys("vm-2/vm/web");
        assertThat(record(disk).server()).isEqualTo("vm-2");
        assertThat(moveRecords()).isEmpty();
    }

    @Test
    void anUndecidedCopyAStartedVmWasPinnedToIsKeptAndTheMoveFinishedOntoIt() {
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        Allocation disk = vmDisk("web", "vm-1", 40 * GB, VmStatus.STOPPED);
        Allocation copy = fleet.admission.update(fleet.admission.admitCopy(disk, s -> true, "copy-1").withPhase(VolumePhase.READY));
        disks.data.put(Disks.place(copy), "what the VM wrote");
        disks.bound.put(disk.id(), "vm-2"); // pinned to the copy, no decision recorded, then started
        disks.started.add(disk.id());

        assertThat(bindingSettlement.settle(disk.id())).isTrue();

        assertThat(disks.data).containsExactly(Map.entry("vm-2/vm/web", "what the VM wrote"));
        assertThat(record(disk).server()).isEqualTo("vm-2");
        assertThat(moveRecords()).isEmpty();
        assertCounted("vm-1", "vm-2");

        // halted, the same state is undone: the VM is pinned back and the copy goes
        disks.started.clear();
        Allocation back = fleet.admission.update(fleet.admission.admitCopy(record(disk), s -> true, "copy-2").withPhase(VolumePhase.READY));
        disks.data.put(Disks.place(back), "copied back");
        disks.bound.put(disk.id(), "vm-1");
        assertThat(bindingSettlement.settle(disk.id())).isFalse();
        assertThat(disks.bound).containsEntry(disk.id(), "vm-2");
        assertThat(disks.data).containsExactly(Map.entry("vm-2/vm/web", "what the VM wrote"));
        assertThat(moveRecords()).isEmpty();
    }

    @Test
    void aMoveWhoseSwitchWasRecordedButWhoseCopyRecordRemainsIsFinishedWithoutTouchingTheCopy() {
        Allocation disk = decidedMoveOfWeb();
        fleet.admission.moveTo(disk.id(), "vm-2"); // crash right after the switch

        assertThat(settlement.settle(disk.id())).isTrue();

        assertThat(disks.data).containsExactly(Map.entry("vm-2/vm/web", "data of web"));
        assertThat(record(disk).server()).isEqualTo("vm-2");
        assertThat(moveRecords()).isEmpty();
        assertCounted("vm-1", "vm-2");
    }

    @Test
    void aReadyCopyTheVolumeAlreadyPointsAtIsNeverDeleted() {
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        Allocation disk = vmDisk("web", "vm-1", 40 * GB, VmStatus.STOPPED);
        Allocation copy = fleet.admission.update(fleet.admission.admitCopy(disk, s -> true, "copy-1").withPhase(VolumePhase.READY));
        disks.data.put(Disks.place(copy), "data of web");
        // the record switched and the original went, but the copy record was not released yet
        fleet.admission.moveTo(disk.id(), "vm-2");
        disks.data.remove("vm-1/vm/web");

        assertThat(settlement.settle(disk.id())).isFalse();

        assertThat(disks.data).containsExactly(Map.entry("vm-2/vm/web", "data of web"));
        assertThat(record(disk).server()).isEqualTo("vm-2");
        assertThat(moveRecords()).isEmpty();
        assertCounted("vm-1", "vm-2");
    }

    @Test
    void aFailedSettlementIsReportedAndTheRecordsStillSayWhereItStands() {
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        Allocation disk = vmDisk("web", "vm-1", 40 * GB, VmStatus.STOPPED);
        Allocation copy = fleet.admission.update(fleet.admission.admitCopy(disk, s -> true, "copy-1").withPhase(VolumePhase.READY));
        disks.data.put(Disks.place(copy), "data of web");
        disks.failNext("delete");

        MoveSettlement.Outcome outcome = settlement.settleAll();

        assertThat(outcome.problems()).singleElement().asString().isEqualTo("move of " + disk.id() + ": delete web: No space left on device");
        assertThat(outcome.changedAnything()).isFalse();
        assertThat(moveRecords()).hasSize(1);
        assertThat(settlement.settleAll().undone()).containsExactly(disk.id());
        assertThat(disks.data).containsOnlyKeys("vm-1/vm/web");
        assertCounted("vm-1", "vm-2");
    }

    @Test
    void aCopyIsAdmittedOnlyWhereThereIsRoomAndSaysWhyNot() {
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        Allocation disk = vmDisk("web", "vm-1", 40 * GB, VmStatus.STOPPED);
        fleet.admission.admit(new CapacityAdmission.Request("filler", "vm", 1470 * GB, "volume", Optional.of("vm-2")));

        assertThatThrownBy(() -> fleet.admission.admitCopy(disk, s -> true, "copy-1")).isInstanceOf(DomainException.class)
                .hasMessage("no other server of pool vm has room for 40 GB (the most one can take is 30 GB)")
                .extracting(e -> ((DomainException) e).code()).isEqualTo(DomainException.Code.INSUFFICIENT_CAPACITY);
        assertThatThrownBy(() -> fleet.admission.admitCopy(disk, s -> false, "copy-1")).isInstanceOf(DomainException.class)
                .hasMessage("no other server of pool vm holds template ubuntu22");
        assertThat(moveRecords()).isEmpty();
        assertCounted("vm-1", "vm-2");
    }
}
