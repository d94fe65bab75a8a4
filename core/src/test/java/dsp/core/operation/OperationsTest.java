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
}
