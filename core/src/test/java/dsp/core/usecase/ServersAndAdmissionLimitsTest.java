package dsp.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dsp.core.DomainException;
import dsp.core.DomainException.Code;
import dsp.core.Fleet;
import dsp.core.model.Allocation;
import dsp.core.model.Quantity;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Admission and server administration at their limits: exact fits, pins, the wrong server, and what a view counts. */
class ServersAndAdmissionLimitsTest {

    private static final long GB = 1_000_000_000L;
    private static final long SHARE = 1500 * GB;

    private final Fleet fleet = new Fleet();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    private static void refused(ThrowingCallable call, Code code, String message) {
        assertThatThrownBy(call).isInstanceOf(DomainException.class).hasMessageContaining(message)
                .extracting(e -> ((DomainException) e).code()).isEqualTo(code);
    }

    private Allocation admit(String name, String pool, long size, String server) {
        return fleet.admission.admit(new CapacityAdmission.Request(name, pool, size, "volume", Optional.ofNullable(server)));
    }

    @Test
    void aSizeIsFromOneByteToOneExabyte() {
        refused(() -> admit("zero", "k8s", 0, null), Code.INVALID, "size must be positive");
        refused(() -> admit("huge", "k8s", Quantity.MAX_BYTES + 1, null), Code.INVALID, "larger than 1 EB");
        fleet.servers.assign("big", Optional.of("k8s"), Optional.of(Quantity.MAX_BYTES));
        assertThat(admit("exabyte", "k8s", Quantity.MAX_BYTES, null).server()).isEqualTo("big");
        fleet.label("k8s-1", "k8s");
        Allocation b = admit("byte", "k8s", 1, null);
        assertThat(b.server()).isEqualTo("k8s-1");
        fleet.admission.release(fleet.store.listAllocations().stream().filter(a -> a.name().equals("exabyte")).findFirst().orElseThrow().id());
        fleet.servers.assign("k8s-1", Optional.empty(), Optional.empty());
        Allocation small = admit("grows", "k8s", 1, "big");
        assertThat(fleet.admission.grow(small.id(), Quantity.MAX_BYTES).sizeBytes()).as("growing to 1 EB exactly").isEqualTo(Quantity.MAX_BYTES);
    }

    @Test
    void aServerTakesExactlyItsBudget() {
        fleet.label("k8s-1", "k8s");
        fleet.label("k8s-2", "k8s");
        assertThat(admit("fill", "k8s", SHARE, "k8s-1").server()).as("pinned, an exact fit").isEqualTo("k8s-1");
        refused(() -> admit("one-more", "k8s", 1, "k8s-1"), Code.INSUFFICIENT_CAPACITY,
                "server 'k8s-1' of pool k8s has 0 B free; 1 B requested");
        assertThat(admit("elsewhere", "k8s", SHARE - 10 * GB, null).server()).isEqualTo("k8s-2");
        Allocation a = fleet.store.listAllocations().stream().filter(x -> x.name().equals("elsewhere")).findFirst().orElseThrow();
        assertThat(fleet.admission.grow(a.id(), SHARE).sizeBytes()).as("growing into the last free byte").isEqualTo(SHARE);
        refused(() -> fleet.admission.grow(a.id(), SHARE + GB), Code.INSUFFICIENT_CAPACITY,
                "has 0 B free; growing 'elsewhere' by 1 GB needs 1 GB more");
    }

    @Test
    void growingSaysHowMuchIsMissing() {
        fleet.label("k8s-1", "k8s");
        Allocation a = admit("data", "k8s", 100 * GB, null);
        admit("other", "k8s", 1000 * GB, null);
        refused(() -> fleet.admission.grow(a.id(), 600 * GB), Code.INSUFFICIENT_CAPACITY,
                "server 'k8s-1' of pool k8s has 400 GB free; growing 'data' by 500 GB needs 100 GB more");
        assertThat(fleet.admission.grow(a.id(), 500 * GB).sizeBytes()).isEqualTo(500 * GB);
        refused(() -> fleet.admission.grow(a.id(), 0), Code.INVALID, "new size must be between 1 byte and 1 EB");
        refused(() -> fleet.admission.grow(a.id(), Quantity.MAX_BYTES + 1), Code.INVALID, "new size must be between");
        refused(() -> fleet.admission.grow("nope", GB), Code.NOT_FOUND, "allocation 'nope' does not exist");
    }

    @Test
    void aVolumeWhoseServerIsGoneCannotGrow() {
        fleet.label("k8s-1", "k8s");
        Allocation a = admit("data", "k8s", GB, null);
        fleet.inventory.deleteServer("k8s-1");
        refused(() -> fleet.admission.grow(a.id(), 2 * GB), Code.CONFLICT, "server 'k8s-1' holding 'data' no longer exists");
    }

    @Test
    void pinningNamesARealServerOfThePool() {
        fleet.label("k8s-1", "k8s");
        fleet.label("vm-1", "vm");
        fleet.servers.assign("spare", Optional.empty(), Optional.empty());
        refused(() -> admit("a", "k8s", GB, "nowhere"), Code.NOT_FOUND, "server 'nowhere' does not exist");
        refused(() -> admit("a", "k8s", GB, "vm-1"), Code.CONFLICT, "server 'vm-1' is not in pool k8s");
        refused(() -> admit("a", "k8s", GB, "spare"), Code.CONFLICT, "server 'spare' is not in pool k8s");
        fleet.label("k8s-2", "k8s");
        admit("filler", "k8s", 1000 * GB, "k8s-2");
        assertThat(admit("pinned", "k8s", GB, "k8s-2").server()).as("the pin wins over placement").isEqualTo("k8s-2");
    }

    @Test
    void aNameIsTakenOncePerPool() {
        fleet.label("k8s-1", "k8s");
        fleet.label("vm-1", "vm");
        admit("data", "k8s", GB, null);
        refused(() -> admit("data", "k8s", GB, null), Code.CONFLICT, "pool k8s already has a volume named 'data'");
        assertThat(admit("data", "vm", GB, null).pool()).as("the same name in another pool").isEqualTo("vm");
    }

    @Test
    void recordsThatDoNotExistCannotChange() {
        fleet.label("k8s-1", "k8s");
        Allocation a = admit("data", "k8s", GB, null);
        refused(() -> fleet.admission.release("nope"), Code.NOT_FOUND, "allocation 'nope' does not exist");
        Allocation ghost = new Allocation("nope", "ghost", "k8s", "k8s-1", GB, "volume", fleet.clock.instant());
        refused(() -> fleet.admission.update(ghost), Code.NOT_FOUND, "allocation 'nope' does not exist");
        fleet.admission.restoreSize("nope", GB); // nothing to put back: no error, nothing made
        assertThat(fleet.store.listAllocations()).containsExactly(a);

        fleet.admission.grow(a.id(), 5 * GB);
        fleet.admission.restoreSize(a.id(), GB);
        assertThat(fleet.store.findAllocation(a.id()).orElseThrow().sizeBytes()).isEqualTo(GB);
        assertThat(fleet.admission.admit(new CapacityAdmission.Request("claim", "k8s", GB, "volume", Optional.empty())
                .withId("pvc-1234")).id()).isEqualTo("pvc-1234");
    }

    @Test
    void assigningAServerShowsItsFigures() {
        ServerView v = fleet.servers.assign("k8s-1", Optional.of("k8s"), Optional.of(2000 * GB));
        assertThat(v.server().name()).isEqualTo("k8s-1");
        assertThat(v.pool().orElseThrow().name()).isEqualTo("k8s");
        assertThat(v.share()).isEqualTo(2000 * GB);
        assertThat(v.budget()).isEqualTo(2000 * GB);
        admit("data", "k8s", 100 * GB, null);

        ServerView moved = fleet.servers.assign("k8s-1", Optional.of("vm"), Optional.empty());
        assertThat(moved.share()).as("the override stays when no share is given").isEqualTo(2000 * GB);
        assertThat(moved.allocated()).isEqualTo(100 * GB);
        assertThat(moved.budget()).isEqualTo(1900 * GB);
        assertThat(moved.allocations()).isEqualTo(1);
        assertThat(moved.strandedAllocations()).isEqualTo(1);
        refused(() -> fleet.servers.assign("k8s-1", Optional.of("backup"), Optional.empty()), Code.INVALID,
                "pool 'backup' does not exist; pools are [k8s, vm]");
        refused(() -> fleet.servers.assign("Bad Name", Optional.empty(), Optional.empty()), Code.INVALID, "server name");
    }

    @Test
    void theQueriesCountEachServersOwnVolumes() {
        fleet.label("k8s-1", "k8s");
        fleet.label("k8s-2", "k8s");
        admit("a", "k8s", 10 * GB, "k8s-1");
        admit("b", "k8s", 20 * GB, "k8s-1");
        admit("c", "k8s", 30 * GB, "k8s-2");
        assertThat(fleet.queries.catalog()).isSameAs(fleet.catalog);
        assertThat(fleet.queries.hasServer("k8s-1")).isTrue();
        assertThat(fleet.queries.hasServer("k8s-9")).isFalse();
        assertThat(fleet.queries.servers()).extracting(s -> s.server().name() + ":" + s.allocations() + ":" + s.allocated() / GB)
                .containsExactly("k8s-1:2:30", "k8s-2:1:30");
        assertThat(fleet.queries.server("k8s-2").budget()).isEqualTo(SHARE - 30 * GB);
        assertThat(fleet.queries.server("k8s-2").strandedAllocations()).isZero();
        refused(() -> fleet.queries.server("k8s-9"), Code.NOT_FOUND, "server 'k8s-9' does not exist");
    }

    @Test
    void aServerHoldingNothingIsRemovedWhateverOthersHold() {
        fleet.label("k8s-1", "k8s");
        fleet.label("k8s-2", "k8s");
        admit("a", "k8s", GB, "k8s-1");
        refused(() -> fleet.servers.remove("k8s-1"), Code.CONFLICT, "server 'k8s-1' still holds 1 allocation(s), e.g. 'a'");
        fleet.servers.remove("k8s-2");
        assertThat(fleet.queries.hasServer("k8s-2")).isFalse();
        refused(() -> fleet.servers.remove("k8s-2"), Code.NOT_FOUND, "server 'k8s-2' does not exist");
    }

    @Test
    void aTurnIsGivenBackSoTheNextOperationRunsAndNothingIsLeftBehind() throws Exception {
        OperationOrder order = new OperationOrder();
        assertThat(order.on("vm-1", () -> "made")).isEqualTo("made");
        List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
        order.run("vm-1", () -> ran.add("first"));
        Future<?> other = threads.submit(() -> order.run("vm-1", () -> ran.add("from another thread")));
        await().atMost(Duration.ofSeconds(10)).until(other::isDone);
        other.get();
        assertThat(ran).containsExactly("first", "from another thread");
        assertThat(order.active()).isZero();
        assertThatThrownBy(() -> order.run("vm-1", () -> {
            throw new IllegalStateException("failed");
        })).hasMessage("failed");
        assertThat(order.active()).as("a failed operation gives its turn back too").isZero();
    }

    @Test
    void operationsOnOneKeyWaitForEachOtherAndOthersDoNot() throws Exception {
        OperationOrder order = new OperationOrder();
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<?> first = threads.submit(() -> order.on("vm-1", () -> {
            holding.countDown();
            try {
                return release.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }));
        assertThat(holding.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> order.on("vm-1", () -> "second"), threads);
        assertThat(order.on("vm-2", () -> "another key runs at once")).isEqualTo("another key runs at once");
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !second.isDone());
        assertThat(order.active()).as("vm-1 is held and waited for").isEqualTo(1);
        release.countDown();
        assertThat(second.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("second");
        first.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(order.active()).isZero();
    }

    @Test
    void theFleetLockIsGivenBack() throws Exception {
        FleetLock lock = new FleetLock();
        assertThat(lock.locked(() -> 1)).isEqualTo(1);
        assertThatThrownBy(() -> lock.locked(() -> {
            throw new IllegalStateException("failed");
        })).hasMessage("failed");
        Future<Integer> other = threads.submit(() -> lock.locked(() -> 2));
        await().atMost(Duration.ofSeconds(10)).until(other::isDone);
        assertThat(other.get()).isEqualTo(2);
    }
}
