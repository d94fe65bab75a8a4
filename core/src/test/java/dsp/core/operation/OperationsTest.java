package dsp.core.operation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Long work as operations: progress readable while it runs, result or error afterwards. */
class OperationsTest {

    private final List<Runnable> queued = new ArrayList<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final Operations operations = new Operations(Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC),
            queued::add, () -> "op-" + ids.incrementAndGet());

    @Test
    void progressIsReadableWhileItRunsAndTheResultAfterwards() {
        List<Operations.Operation> seen = new ArrayList<>();
        Operations.Operation started = operations.start("template_import", "ubuntu24", progress -> {
            progress.progress(0, 3_000_000_000L, "copying ubuntu24.qcow2");
            progress.progress(1_500_000_000L, 3_000_000_000L, "copying ubuntu24.qcow2");
            seen.add(operations.get("op-1"));
            return "imported";
        });
        assertThat(started.state()).isEqualTo(Operations.State.RUNNING);
        assertThat(started.percent()).isEmpty();
        queued.forEach(Runnable::run);
        assertThat(seen).singleElement().satisfies(o -> {
            assertThat(o.state()).isEqualTo(Operations.State.RUNNING);
            assertThat(o.percent()).hasValue(50.0);
            assertThat(o.step()).isEqualTo("copying ubuntu24.qcow2");
        });
        Operations.Operation done = operations.get("op-1");
        assertThat(done.state()).isEqualTo(Operations.State.SUCCEEDED);
        assertThat(done.percent()).hasValue(100.0);
        assertThat(done.result()).hasValue("imported");
        assertThat(done.finishedAt()).isPresent();
    }

    @Test
    void aFailureKeepsItsCodeAndMessageAndAnUnexpectedOneSaysWhatFailed() {
        operations.start("template_import", "x", p -> {
            throw DomainException.invalid("source image x.qcow2 is not a readable file");
        });
        operations.start("backup", "all", p -> {
            throw new IllegalStateException("disk full");
        });
        queued.forEach(Runnable::run);
        assertThat(operations.get("op-1").error()).hasValueSatisfying(e -> {
            assertThat(e.code()).isEqualTo(DomainException.Code.INVALID);
            assertThat(e.getMessage()).contains("not a readable file");
        });
        assertThat(operations.get("op-2").state()).isEqualTo(Operations.State.FAILED);
        assertThat(operations.get("op-2").error().orElseThrow().getMessage()).isEqualTo("backup failed: disk full");
        assertThat(operations.list()).extracting(Operations.Operation::id).containsExactlyInAnyOrder("op-1", "op-2");
        assertThatThrownBy(() -> operations.get("op-9")).isInstanceOf(DomainException.class).hasMessageContaining("does not exist");
    }

    @Test
    void onlyTheLastHundredFinishedOnesAreKept() {
        for (int i = 0; i < Operations.KEPT + 20; i++) {
            operations.start("cleanup", "all", p -> null);
            queued.forEach(Runnable::run);
            queued.clear();
        }
        assertThat(operations.list()).hasSize(Operations.KEPT);
        assertThatThrownBy(() -> operations.get("op-1")).isInstanceOf(DomainException.class);
    }

    private record Recorded(String operation, java.time.Duration took, java.util.Optional<String> error) {
    }

    /** On a real thread, as in the server: startChecked waits for the work's checks. */
    private final java.util.concurrent.ExecutorService thread = java.util.concurrent.Executors.newSingleThreadExecutor();
    private final List<Recorded> recorded = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Operations threaded = new Operations(Clock.systemUTC(), thread, () -> "op-" + ids.incrementAndGet())
            .recordTo((operation, took, error) -> recorded.add(new Recorded(operation, took, error)));

    @org.junit.jupiter.api.AfterEach
    void stopThread() {
        thread.shutdownNow();
    }

    @Test
    void aCheckThatFailsIsThrownAtOnceAndLeavesNoOperationBehind() {
        assertThatThrownBy(() -> threaded.startChecked("vm_create", "default/web", java.time.Duration.ofSeconds(30), (checked, p) -> {
            throw DomainException.insufficientCapacity("no server in pool vm has room for 50 GB");
        })).isInstanceOf(DomainException.class).hasMessageContaining("no server in pool vm has room");
        assertThat(threaded.list()).isEmpty();
        assertThat(recorded).as("the request's own answer counts it, not the operation").isEmpty();
    }

    @Test
    void checkedWorkGoesOnAsAnOperationWithProgressAndIsCountedOnceWhenItEnds() throws Exception {
        java.util.concurrent.CountDownLatch copying = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch finish = new java.util.concurrent.CountDownLatch(1);
        Operations.Operation op = threaded.startChecked("vm_create", "default/web", java.time.Duration.ofSeconds(30), (checked, p) -> {
            checked.run();
            p.progress(1_000_000_000L, 3_000_000_000L, "copying template ubuntu22 to vm-server-1");
            copying.countDown();
            await(finish);
            throw DomainException.storageFailed("the disk went away");
        });
        assertThat(op.kind()).isEqualTo("vm_create");
        assertThat(threaded.list()).extracting(Operations.Operation::id).containsExactly(op.id());
        assertThat(copying.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(threaded.get(op.id()).percent()).hasValueSatisfying(pc -> assertThat(pc).isCloseTo(33.3, org.assertj.core.data.Offset.offset(0.1)));
        assertThat(recorded).as("nothing counted while it runs").isEmpty();
        finish.countDown();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> threaded.get(op.id()).state() == Operations.State.FAILED);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> recorded.size() == 1);
        assertThat(recorded).singleElement().satisfies(r -> {
            assertThat(r.operation()).isEqualTo("vm_create");
            assertThat(r.error()).hasValue("storage_failed");
        });
    }

    @Test
    void checkedWorkDoesNotQueueBehindLongOperations() throws Exception {
        // the queue of long operations is full (nothing of it runs); a VM create still goes ahead on its own executor
        Operations busy = new Operations(Clock.systemUTC(), queued::add, thread, () -> "op-" + ids.incrementAndGet());
        busy.start("template_import", "ubuntu24", p -> "imported");
        java.util.concurrent.CountDownLatch ran = new java.util.concurrent.CountDownLatch(1);
        Operations.Operation op = busy.startChecked("vm_create", "default/web", java.time.Duration.ofSeconds(1), (checked, p) -> {
            checked.run();
            ran.countDown();
            return "made";
        });
        assertThat(ran.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("the VM create ran").isTrue();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> busy.get(op.id()).state() == Operations.State.SUCCEEDED);
        assertThat(busy.get(busy.list().stream().filter(o -> o.kind().equals("template_import")).findFirst().orElseThrow().id()).state())
                .isEqualTo(Operations.State.RUNNING);
    }

    @Test
    void plainOperationsAreCountedWhenTheyEnd() {
        Operations counted = new Operations(Clock.systemUTC(), queued::add, () -> "op-" + ids.incrementAndGet())
                .recordTo((operation, took, error) -> recorded.add(new Recorded(operation, took, error)));
        counted.start("template_import", "ubuntu24", p -> "imported");
        assertThat(recorded).isEmpty();
        queued.forEach(Runnable::run);
        assertThat(recorded).singleElement().satisfies(r -> {
            assertThat(r.operation()).isEqualTo("template_import");
            assertThat(r.error()).isEmpty();
        });
    }

    private static void await(java.util.concurrent.CountDownLatch latch) {
        try {
            latch.await(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
