package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dsp.core.DomainException;
import dsp.core.ledger.CapacityLedger;
import dsp.core.ledger.WriteThroughAllocations;
import dsp.core.ledger.WriteThroughServers;
import dsp.core.memory.InMemoryAllocationStore;
import dsp.core.memory.InMemoryServerInventory;
import dsp.core.memory.InMemoryVmStore;
import dsp.core.model.Allocation;
import dsp.core.model.MoveRecords;
import dsp.core.model.PoolCatalog;
import dsp.core.model.Server;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.operation.Operations;
import dsp.core.port.AllocationStore;
import dsp.core.port.VolumeMaker;
import dsp.core.usecase.CapacityAdmission;
import dsp.core.usecase.FleetLock;
import dsp.core.usecase.OperationOrder;
import dsp.core.usecase.ServerDrain;
import dsp.core.usecase.ServerDrain.Action;
import dsp.core.usecase.StartupReconciler;
import dsp.core.usecase.VmService;
import dsp.core.usecase.VolumeService;
import dsp.core.vm.CreateVm;
import dsp.core.vm.ServerType;
import dsp.core.vm.Template;
import dsp.core.vm.VmView;
import dsp.testing.RequiredTool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Server drain on the real node storage engine and the real qemu-img: a stopped VM's disk moves
 * and reads the same bytes afterwards; what cannot move says why; and a failure injected at each
 * step of a move (once, or for good as a crash followed by a restart) never loses or duplicates
 * data, and never lets the ledger count less than what is on disk.
 */
class ServerDrainTest {

    private static final long GB = 1_000_000_000L;

    @TempDir
    Path dir;

    private final PoolCatalog catalog = PoolCatalog.guideDefaults();
    private final QemuImg qemu = QemuImg.onPath();
    private final AtomicInteger ids = new AtomicInteger();
    private InMemoryServerInventory serverRecords;
    private WriteThroughServers inventory;
    private FaultyStore store;
    private WriteThroughAllocations allocations;
    private FileTemplateLibrary library;
    private OperationOrder order;
    private InMemoryVmStore vmStore;
    private CapacityAdmission admission;
    private LocalVolumeMaker maker;
    private FaultyMaker faultyMaker;
    private LocalVolumeCopier copier;
    private VmService vms;
    private VolumeService volumes;
    private ServerDrain drain;
    private Template ubuntu;

    @BeforeEach
    void setUp() {
        RequiredTool.QEMU_IMG.require();
        ServerRoots roots = new ServerRoots(dir.resolve("servers"));
        serverRecords = new InMemoryServerInventory();
        store = new FaultyStore(new InMemoryAllocationStore());
        vmStore = new InMemoryVmStore();
        library = new FileTemplateLibrary(dir.resolve("templates"), qemu, roots, catalog, Optional.empty());
        maker = new LocalVolumeMaker(roots, catalog, library, qemu);
        faultyMaker = new FaultyMaker(maker);
        copier = new LocalVolumeCopier(maker, qemu);
        start();
        ubuntu = library.createBlank("ubuntu22", 10 * GB);
        server("vm-1", "vm");
    }

    /** Wires the services over the durable records, as a (re)start does: the ledger is loaded from them. */
    private void start() {
        CapacityLedger ledger = new CapacityLedger(catalog, serverRecords.listServers(), store.listAllocations());
        inventory = new WriteThroughServers(ledger, serverRecords);
        allocations = new WriteThroughAllocations(ledger, store);
        admission = new CapacityAdmission(ledger, allocations, new FleetLock(), Clock.systemUTC(), () -> "id" + ids.incrementAndGet());
        order = new OperationOrder();
        vms = new VmService(catalog, "vm", ServerType.HETZNER, admission, allocations, vmStore, maker, library, Clock.systemUTC(),
                () -> "" + ids.incrementAndGet(), order);
        volumes = new VolumeService(catalog, admission, allocations, maker, order);
        drain = new ServerDrain(catalog, inventory, allocations, vmStore, admission, faultyMaker, Optional.of(copier), library, order,
                () -> "" + ids.incrementAndGet());
    }

    // ------------------------------------------------------------------ the "done when"

    @Test
    void aStoppedVmsDiskMovesAndTheVmReadsTheSameBytesAfterwards() throws Exception {
        VmView vm = createVm("web", VolumeFormat.QCOW2);
        Path before = Path.of(vm.diskPath());
        writeGuestData(before, "qcow2");
        Path snapshot = snapshot(before);
        server("vm-2", "vm");

        ServerDrain.Report report = drain.drain("vm-1", Operations.Progress.NONE);

        assertThat(report.items()).singleElement().satisfies(i -> {
            assertThat(i.action()).as(String.valueOf(i.reason())).isEqualTo(Action.MOVED);
            assertThat(i.target()).contains("vm-2");
            assertThat(i.vm().orElseThrow().name()).isEqualTo("web");
        });
        assertThat(report.drained()).isTrue();
        VmView after = vms.get(vm.vm().id());
        Path moved = Path.of(after.diskPath());
        assertThat(after.disk().server()).isEqualTo("vm-2");
        assertThat(moved).isEqualTo(dir.resolve("servers/vm-2/vm-storage-pool/" + vm.disk().name() + ".qcow2").toAbsolutePath());
        assertThat(before).doesNotExist();
        assertGuestDataReads(moved, "qcow2");
        assertThat(qemu.sameContent(snapshot, "qcow2", moved, "qcow2")).as("qemu-img compare old and new").isTrue();
        // still an overlay, now on vm-2's own copy of the template: nothing of vm-1 is needed any more
        assertThat(qemu.info(moved, "qcow2", true).path("full-backing-filename").asText())
                .isEqualTo(dir.resolve("servers/vm-2/vm-storage-pool/templates/ubuntu22.qcow2").toAbsolutePath().toString());
        assertSettled(vm, "vm-2");
        // and the VM works where it is now
        vms.resize(vm.vm().id(), 60 * GB);
        assertThat(maker.presentedBytes(store.findAllocation(vm.disk().id()).orElseThrow())).isEqualTo(60 * GB);
    }

    @Test
    void aRawDiskMovesWithItsBytes() throws Exception {
        VmView vm = createVm("kube", VolumeFormat.RAW);
        Path before = Path.of(vm.diskPath());
        writeGuestData(before, "raw");
        Path snapshot = snapshot(before);
        server("vm-2", "vm");

        assertThat(drain.drain("vm-1", Operations.Progress.NONE).items()).singleElement()
                .satisfies(i -> assertThat(i.action()).as(String.valueOf(i.reason())).isEqualTo(Action.MOVED));
        Path moved = Path.of(vms.get(vm.vm().id()).diskPath());
        assertThat(moved).endsWith(Path.of("vm-2", "vm-storage-pool", vm.disk().name(), "disk.img"));
        assertThat(before.getParent()).doesNotExist();
        assertGuestDataReads(moved, "raw");
        assertThat(qemu.sameContent(snapshot, "raw", moved, "raw")).isTrue();
        assertSettled(vm, "vm-2");
    }

    // ------------------------------------------------------------------ what cannot move, and the plan

    @Test
    void theDryRunShowsWhatMovesAndWhatStaysWithWhyAndChangesNothing() throws Exception {
        server("k8s-1", "k8s");
        VmView stopped = createVm("stopped", VolumeFormat.QCOW2);
        VmView running = createVm("running", VolumeFormat.QCOW2);
        Allocation dirVolume = volumes.create("data", "vm", 5 * GB, Optional.empty());
        server("vm-2", "vm");
        List<Allocation> recordsBefore = store.listAllocations();

        Process vmRunning = holdLikeARunningVm(Path.of(running.diskPath()));
        try {
            ServerDrain.Report plan = drain.plan("vm-1");
            assertThat(plan.dryRun()).isTrue();
            assertThat(plan.drained()).isFalse();
            assertThat(item(plan, stopped.disk().id())).satisfies(i -> {
                assertThat(i.action()).isEqualTo(Action.MOVE);
                assertThat(i.target()).contains("vm-2");
            });
            assertThat(item(plan, running.disk().id())).satisfies(i -> {
                assertThat(i.action()).isEqualTo(Action.STAYS);
                assertThat(i.reason().orElseThrow()).contains("VM running is running").contains("image lock");
            });
            assertThat(item(plan, dirVolume.id()).reason().orElseThrow()).contains("directory volume");
            assertThat(store.listAllocations()).isEqualTo(recordsBefore);
            assertThat(Path.of(stopped.diskPath())).exists();
            assertThat(dir.resolve("servers/vm-2/vm-storage-pool")).satisfies(p -> assertThat(entries(p)).isEmpty());

            // the real thing moves the stopped one and leaves the running VM's image alone
            ServerDrain.Report done = drain.drain("vm-1", Operations.Progress.NONE);
            assertThat(item(done, stopped.disk().id()).action()).isEqualTo(Action.MOVED);
            assertThat(item(done, running.disk().id()).action()).isEqualTo(Action.STAYS);
            assertThat(Path.of(running.diskPath())).exists();
            assertThat(store.findAllocation(running.disk().id()).orElseThrow().server()).isEqualTo("vm-1");
        } finally {
            vmRunning.destroy();
            vmRunning.waitFor(5, TimeUnit.SECONDS);
        }
        assertThat(drain.drain("vm-1", Operations.Progress.NONE).items())
                .filteredOn(i -> i.volume().id().equals(running.disk().id())).singleElement()
                .satisfies(i -> assertThat(i.action()).as("once stopped it moves").isEqualTo(Action.MOVED));
    }

    @Test
    void whenNoOtherServerHasRoomTheDiskStaysAndNothingIsAdmitted() {
        VmView vm = createVm("big", VolumeFormat.QCOW2);
        server("vm-2", "vm");
        // vm-2's whole share is taken
        admission.admit(new CapacityAdmission.Request("filler", "vm", 1500 * GB, "volume", Optional.of("vm-2")));
        ServerDrain.Report r = drain.drain("vm-1", Operations.Progress.NONE);
        assertThat(item(r, vm.disk().id())).satisfies(i -> {
            assertThat(i.action()).isEqualTo(Action.STAYS);
            assertThat(i.reason().orElseThrow()).contains("no other server of pool vm has room for 50 GB");
        });
        assertThat(store.listAllocations()).noneMatch(MoveRecords::isMoveRecord);
        assertThatThrownBy(() -> drain.plan("nope")).isInstanceOf(DomainException.class).hasMessageContaining("does not exist");
    }

    @Test
    void aServerThatLeftItsPoolIsDrainedBackIntoThePool() throws Exception {
        VmView vm = createVm("stranded", VolumeFormat.QCOW2);
        writeGuestData(Path.of(vm.diskPath()), "qcow2");
        server("vm-2", "vm");
        server("vm-1", null); // relabelled first: its disk is stranded
        assertThat(drain.drain("vm-1", Operations.Progress.NONE).drained()).isTrue();
        assertGuestDataReads(Path.of(vms.get(vm.vm().id()).diskPath()), "qcow2");
        assertSettled(vm, "vm-2");
    }

    // ------------------------------------------------------------------ a failure at every step

    /** Every step of a move, and how to make it fail. */
    enum Step {
        ADMIT_COPY, COPY_DATA, VERIFY, MARK_COPY_READY, RECORD_ORIGINAL, SWITCH_RECORD, DROP_COPY_RECORD, DELETE_ORIGINAL, DROP_ORIGINAL_RECORD;

        /** Whether the move is decided when this step fails (the original is recorded): it then ends moved. */
        boolean afterDecision() {
            return ordinal() >= SWITCH_RECORD.ordinal();
        }
    }

    @ParameterizedTest
    @EnumSource(Step.class)
    void aFailureAtAnyStepLeavesTheDiskWholeInExactlyOnePlace(Step step) throws Exception {
        VmView vm = createVm("web", VolumeFormat.QCOW2);
        writeGuestData(Path.of(vm.diskPath()), "qcow2");
        Path snapshot = snapshot(Path.of(vm.diskPath()));
        server("vm-2", "vm");
        inject(step, false);

        ServerDrain.Item item = drain.drain("vm-1", Operations.Progress.NONE).items().get(0);

        String expected = step.afterDecision() ? "vm-2" : "vm-1";
        assertThat(item.action()).as(item.toString()).isEqualTo(step.afterDecision() ? Action.MOVED : Action.FAILED);
        assertThat(store.violations).as("data on a server is always counted on it").isEmpty();
        assertSettled(vm, expected);
        assertGuestDataReads(Path.of(vms.get(vm.vm().id()).diskPath()), "qcow2");
        assertThat(qemu.sameContent(snapshot, "qcow2", Path.of(vms.get(vm.vm().id()).diskPath()), "qcow2")).isTrue();
        if (!step.afterDecision()) {
            assertThat(drain.drain("vm-1", Operations.Progress.NONE).drained()).as("a second drain succeeds").isTrue();
            assertSettled(vm, "vm-2");
        }
    }

    @ParameterizedTest
    @EnumSource(Step.class)
    void aCrashAtAnyStepIsFinishedOrUndoneAtTheNextStart(Step step) throws Exception {
        VmView vm = createVm("web", VolumeFormat.QCOW2);
        writeGuestData(Path.of(vm.diskPath()), "qcow2");
        Path snapshot = snapshot(Path.of(vm.diskPath()));
        server("vm-2", "vm");
        inject(step, true); // from this step on nothing gets written: the process is as good as dead

        drain.drain("vm-1", Operations.Progress.NONE);
        assertThat(store.violations).as("data on a server is always counted on it").isEmpty();

        store.heal();
        faultyMaker.heal();
        start(); // the next start loads the ledger from what was recorded
        StartupReconciler.Report restart = new StartupReconciler(allocations, vmStore, maker, admission).reconcile();
        assertThat(restart.problems()).isEmpty();
        String expected = step.afterDecision() ? "vm-2" : "vm-1";
        assertSettled(vm, expected);
        assertGuestDataReads(Path.of(vms.get(vm.vm().id()).diskPath()), "qcow2");
        assertThat(qemu.sameContent(snapshot, "qcow2", Path.of(vms.get(vm.vm().id()).diskPath()), "qcow2")).isTrue();
        assertThat(new StartupReconciler(allocations, vmStore, maker, admission).reconcile().changedAnything()).as("idempotent").isFalse();
    }

    @Test
    void whileTheDiskIsCopiedNoVmCanOpenItForWriting() throws Exception {
        VmView vm = createVm("web", VolumeFormat.QCOW2);
        writeGuestData(Path.of(vm.diskPath()), "qcow2");
        server("vm-2", "vm");
        List<String> startAttempts = new ArrayList<>();
        copier.afterCopy(copy -> startAttempts.add(tryToWrite(Path.of(vm.diskPath()))));
        assertThat(drain.drain("vm-1", Operations.Progress.NONE).drained()).isTrue();
        assertThat(startAttempts).singleElement().asString().contains("lock");
        assertGuestDataReads(Path.of(vms.get(vm.vm().id()).diskPath()), "qcow2");
    }

    /** What a VM starting on the image would get: qemu-io opens it read-write as QEMU does. */
    private static String tryToWrite(Path image) {
        try {
            Process p = new ProcessBuilder("qemu-io", "-f", "qcow2", "-c", "write -P 0x77 0 64k", image.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            return "exit " + p.exitValue() + ": " + out;
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aVmDeleteDuringTheMoveWaitsForItAndThenDeletesTheDiskWhereItWent() throws Exception {
        VmView vm = createVm("web", VolumeFormat.QCOW2);
        server("vm-2", "vm");
        CountDownLatch copying = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        copier.afterCopy(p -> {
            copying.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        CompletableFuture<ServerDrain.Report> draining = CompletableFuture.supplyAsync(() -> drain.drain("vm-1", Operations.Progress.NONE));
        assertThat(copying.await(30, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Optional<Allocation>> deleting = CompletableFuture.supplyAsync(() -> vms.delete(vm.vm().id(), true));
        await("the delete waits for the move").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> !deleting.isDone());
        release.countDown();
        assertThat(draining.get(30, TimeUnit.SECONDS).items().get(0).action()).isEqualTo(Action.MOVED);
        assertThat(deleting.get(30, TimeUnit.SECONDS)).isEmpty();
        assertThat(store.listAllocations()).isEmpty();
        for (String s : List.of("vm-1", "vm-2")) {
            assertThat(entries(dir.resolve("servers").resolve(s).resolve("vm-storage-pool"))).as(s).allMatch(e -> e.equals("templates"));
        }
    }

    // ------------------------------------------------------------------ helpers

    private void inject(Step step, boolean forGood) {
        Predicate<Write> at = switch (step) {
            case ADMIT_COPY -> w -> w.op() == Op.ADD && MoveRecords.COPY.equals(w.a().kind());
            case MARK_COPY_READY -> w -> w.op() == Op.UPDATE && MoveRecords.COPY.equals(w.a().kind()) && w.a().phase() == VolumePhase.READY;
            case RECORD_ORIGINAL -> w -> w.op() == Op.ADD && MoveRecords.ORIGINAL.equals(w.a().kind());
            case SWITCH_RECORD -> w -> w.op() == Op.UPDATE && !MoveRecords.isMoveRecord(w.a()) && w.a().server().equals("vm-2");
            case DROP_COPY_RECORD -> w -> w.op() == Op.REMOVE && MoveRecords.COPY.equals(w.a().kind());
            case DROP_ORIGINAL_RECORD -> w -> w.op() == Op.REMOVE && MoveRecords.ORIGINAL.equals(w.a().kind());
            default -> null;
        };
        if (at != null) {
            store.failAt(at, forGood);
        } else if (step == Step.DELETE_ORIGINAL) {
            faultyMaker.failDeletes(a -> MoveRecords.ORIGINAL.equals(a.kind()), forGood);
            if (forGood) {
                store.failAt(w -> w.op() == Op.REMOVE && MoveRecords.ORIGINAL.equals(w.a().kind()), true);
            }
        } else {
            copier.afterCopy(copy -> {
                copier.afterCopy(once -> { });
                if (forGood) {
                    store.failAt(w -> true, true); // the process dies with the copy half-checked
                }
                if (step == Step.VERIFY) {
                    // the copy reads differently from the original: qemu-img compare must notice
                    run("qemu-io", "-f", "qcow2", "-c", "write -P 0x11 4096 512", copy.toString());
                } else {
                    throw DomainException.storageFailed("No space left on device (injected while copying)");
                }
            });
        }
    }

    /** Exactly one copy of the disk, where its record says, counted once; no move records, no leftovers. */
    private void assertSettled(VmView vm, String server) {
        Allocation disk = store.findAllocation(vm.disk().id()).orElseThrow();
        assertThat(disk.server()).isEqualTo(server);
        assertThat(disk.phase()).isEqualTo(VolumePhase.READY);
        assertThat(store.listAllocations()).noneMatch(MoveRecords::isMoveRecord);
        assertThat(Path.of(maker.pathOf(disk))).exists();
        String entry = disk.format() == VolumeFormat.RAW ? disk.name() : disk.name() + ".qcow2";
        for (String s : List.of("vm-1", "vm-2")) {
            List<String> names = entries(dir.resolve("servers").resolve(s).resolve("vm-storage-pool"));
            assertThat(names).as("no half-made copy on " + s).noneMatch(n -> n.startsWith(".tmp-"));
            if (s.equals(server)) {
                assertThat(names).contains(entry);
            } else {
                assertThat(names).as("no second copy on " + s).doesNotContain(entry);
            }
        }
        CapacityLedger ledger = new CapacityLedger(catalog, inventory.listServers(), store.listAllocations());
        assertThat(ledger.allocatedOn(server)).isEqualTo(disk.sizeBytes());
        assertThat(ledger.allocatedOn(server.equals("vm-1") ? "vm-2" : "vm-1")).isZero();
    }

    private VmView createVm(String name, VolumeFormat format) {
        return vms.create(new CreateVm(name, Optional.empty(), "ubuntu22", Optional.empty(), Optional.of(1), Optional.of(1),
                Optional.of(50 * GB), Optional.of(format)));
    }

    private void server(String name, String pool) {
        Optional<Server> existing = inventory.findServer(name);
        inventory.saveServer(existing.map(s -> s.withPool(Optional.ofNullable(pool)))
                .orElseGet(() -> new Server(name, Optional.ofNullable(pool), Optional.empty(), Instant.EPOCH)));
    }

    private static ServerDrain.Item item(ServerDrain.Report r, String volumeId) {
        return r.items().stream().filter(i -> i.volume().id().equals(volumeId)).findFirst().orElseThrow();
    }

    /** Guest data at the start and past the template's end of data, as a VM would write it. */
    private static void writeGuestData(Path image, String format) {
        run("qemu-io", "-f", format, "-c", "write -P 0xab 0 1M", "-c", "write -P 0xcd 7G 64k", image.toString());
    }

    private static void assertGuestDataReads(Path image, String format) {
        String out = run("qemu-io", "-f", format, "-c", "read -P 0xab 0 1M", "-c", "read -P 0xcd 7G 64k", image.toString());
        assertThat(out).doesNotContain("Pattern verification failed");
    }

    /** A sparse copy of the image as it is now (a qcow2 overlay keeps its backing file). */
    private Path snapshot(Path image) {
        Path copy = dir.resolve("snapshot-" + image.getFileName());
        run("cp", "--sparse=always", image.toString(), copy.toString());
        return copy;
    }

    /** qemu-nbd holds the image's lock the way a running VM does. */
    private Process holdLikeARunningVm(Path image) throws IOException {
        Path socket = dir.resolve("nbd-" + ids.incrementAndGet() + ".sock");
        Process nbd = new ProcessBuilder(RequiredTool.QEMU_NBD.require().toString(), "-f", "qcow2", "-k", socket.toString(), image.toString())
                .redirectErrorStream(true).start();
        await("qemu-nbd holding the image").atMost(Duration.ofSeconds(10)).until(() -> Files.exists(socket) || !nbd.isAlive());
        assertThat(nbd.isAlive()).isTrue();
        return nbd;
    }

    private static List<String> entries(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed: " + out);
            }
            return out;
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    enum Op { ADD, UPDATE, REMOVE }

    record Write(Op op, Allocation a) {
    }

    /**
     * The in-memory store with a failure injected at a chosen write (once, or for good: a crash),
     * and a check after every write that all data on a server's disk is counted on that server.
     */
    final class FaultyStore implements AllocationStore {
        private final AllocationStore inner;
        private volatile Predicate<Write> failAt = w -> false;
        private volatile boolean forGood;
        private volatile boolean dead;
        final List<String> violations = Collections.synchronizedList(new ArrayList<>());

        FaultyStore(AllocationStore inner) {
            this.inner = inner;
        }

        void failAt(Predicate<Write> at, boolean crash) {
            this.failAt = at;
            this.forGood = crash;
        }

        void heal() {
            failAt = w -> false;
            dead = false;
        }

        private void write(Write w, Runnable action) {
            if (dead || failAt.test(w)) {
                if (forGood) {
                    dead = true;
                } else {
                    failAt = x -> false;
                }
                throw DomainException.storageFailed("database is locked (injected at " + w.op() + " " + w.a().kind() + ")");
            }
            action.run();
            checkCounted();
        }

        private void checkCounted() {
            CapacityLedger ledger = new CapacityLedger(catalog, inventory.listServers(), inner.listAllocations());
            for (String s : List.of("vm-1", "vm-2")) {
                long onDisk = 0;
                for (String e : entries(dir.resolve("servers").resolve(s).resolve("vm-storage-pool"))) {
                    if (e.endsWith(".qcow2") || (!e.startsWith(".") && !e.equals("templates"))) {
                        onDisk += 50 * GB;
                    }
                }
                if (ledger.allocatedOn(s) < onDisk) {
                    violations.add(s + " holds " + onDisk + " bytes of disks but counts " + ledger.allocatedOn(s));
                }
            }
        }

        @Override
        public List<Allocation> listAllocations() {
            return inner.listAllocations();
        }

        @Override
        public Optional<Allocation> findAllocation(String id) {
            return inner.findAllocation(id);
        }

        @Override
        public void addAllocation(Allocation a) {
            write(new Write(Op.ADD, a), () -> inner.addAllocation(a));
        }

        @Override
        public void updateAllocation(Allocation a) {
            write(new Write(Op.UPDATE, a), () -> inner.updateAllocation(a));
        }

        @Override
        public void removeAllocation(String id) {
            Allocation a = inner.findAllocation(id).orElseThrow();
            write(new Write(Op.REMOVE, a), () -> inner.removeAllocation(id));
        }
    }

    /** The real maker, whose deletes of chosen volumes fail (once, or for good). */
    static final class FaultyMaker extends dsp.testing.ForwardingVolumeMaker {
        private volatile Predicate<Allocation> failDeletes = a -> false;
        private volatile boolean forGood;

        FaultyMaker(VolumeMaker inner) {
            super(inner);
        }

        void failDeletes(Predicate<Allocation> which, boolean crash) {
            this.failDeletes = which;
            this.forGood = crash;
        }

        void heal() {
            failDeletes = a -> false;
        }

        @Override
        public void delete(Allocation a) {
            if (failDeletes.test(a)) {
                if (!forGood) {
                    failDeletes = x -> false;
                }
                throw DomainException.conflict("disk " + a.name() + " is in use by a running VM (injected)");
            }
            delegate.delete(a);
        }
    }
}
