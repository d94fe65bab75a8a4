package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one way node code runs qemu-img and du. */
class ProcessRunnerTest {

    @Test
    void aToolThatHangsIsKilledAtItsLimit() {
        // were the output read before waiting (as DiskUsage once did), this would block for the full 600 s
        assertThatThrownBy(() -> ProcessRunner.run(List.of("sleep", "600"), Duration.ofMillis(300)))
                .isInstanceOf(ProcessRunner.TimedOut.class)
                .hasMessageContaining("sleep");
    }

    @Test
    void aToolThatHangsWhileHoldingItsOutputOpenIsKilledToo() {
        // prints, then hangs with stdout open: reading the output to its end first would never return
        assertThatThrownBy(() -> ProcessRunner.run(List.of("sh", "-c", "echo started; sleep 600"), Duration.ofMillis(300)))
                .isInstanceOf(ProcessRunner.TimedOut.class);
    }

    @Test
    void moreOutputThanAPipeHoldsDoesNotDeadlock() throws Exception {
        ProcessRunner.Result r = ProcessRunner.run(List.of("sh", "-c", "head -c 1000000 /dev/zero | tr '\\\\0' x; head -c 300000 /dev/zero | tr '\\\\0' y >&2"),
                Duration.ofSeconds(30));
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).hasSize(1_000_000);
        assertThat(r.err()).hasSize(300_000);
    }

    @Test
    void exitCodeAndErrorsAreReported() throws Exception {
        ProcessRunner.Result r = ProcessRunner.run(List.of("sh", "-c", "echo oops >&2; exit 3"), Duration.ofSeconds(30));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("oops\n");
    }
}
