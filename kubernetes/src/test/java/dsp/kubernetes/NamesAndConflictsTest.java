package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The two helpers every Kubernetes class leans on: label-safe node names and the retry on 409. */
class NamesAndConflictsTest {

    @Test
    void aNodeNameFitsALabelValueAsItIsUpTo63CharactersAndAsItsHashBeyond() {
        String fits = "n".repeat(63);
        String tooLong = "n".repeat(64);
        assertThat(Names.nodeLabelValue(fits)).isEqualTo(fits);
        assertThat(Names.nodeLabelValue(tooLong)).hasSize(63).isEqualTo(Names.sha256(tooLong).substring(0, 63))
                .isNotEqualTo(Names.nodeLabelValue("n".repeat(65)));
        assertThat(Names.sha256("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    private static KubernetesClientException status(int code) {
        return new KubernetesClientException("status " + code, code, null);
    }

    @Test
    void aConflictIsRetriedUntilTheWriteGoesThrough() {
        AtomicInteger attempts = new AtomicInteger();
        String written = Conflicts.retry(() -> {
            if (attempts.incrementAndGet() < 3) {
                throw status(409);
            }
            return "written";
        });
        assertThat(written).isEqualTo("written");
        assertThat(attempts).hasValue(3);
    }

    @Test
    void anyOtherFailureIsThrownAtOnce() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> Conflicts.retry(() -> {
            attempts.incrementAndGet();
            throw status(404);
        })).isInstanceOf(KubernetesClientException.class).hasMessageContaining("404");
        assertThat(attempts).hasValue(1);
    }

    @Test
    void aConflictThatLastsIsThrownAfterEightAttempts() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> Conflicts.retry((Runnable) () -> {
            attempts.incrementAndGet();
            throw status(409);
        })).isInstanceOf(KubernetesClientException.class);
        assertThat(attempts).hasValue(8);
    }

    @Test
    void anInterruptedRetryGivesUpAndKeepsTheInterrupt() {
        AtomicInteger attempts = new AtomicInteger();
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Conflicts.retry(() -> {
                attempts.incrementAndGet();
                throw status(409);
            })).isInstanceOf(KubernetesClientException.class);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
            assertThat(attempts).hasValue(1);
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aRunnableWriteRuns() {
        AtomicInteger runs = new AtomicInteger();
        Conflicts.retry((Runnable) runs::incrementAndGet);
        assertThat(runs).hasValue(1);
    }
}
