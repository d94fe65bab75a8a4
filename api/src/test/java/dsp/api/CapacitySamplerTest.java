package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dsp.core.history.CapacityHistory;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The background sampler feeds the history the dashboard draws, on a daemon thread that never keeps the server alive. */
class CapacitySamplerTest {

    @Test
    void startedItSamplesInTheBackgroundOnADaemonThreadUntilClosed() {
        try (ApiHarness h = new ApiHarness()) {
            assertThat(h.put("/api/v1/servers/k8s-1", "{\"pool\": \"k8s\"}").status()).isEqualTo(201);
            CapacityHistory history = new CapacityHistory(Duration.ofHours(1), Duration.ZERO);
            CapacitySampler sampler = new CapacitySampler(h.services.queries(), history);
            try (CapacitySampler started = sampler.start(Duration.ofMillis(20))) {
                assertThat(started).as("start hands back the sampler to close").isSameAs(sampler);
                await().atMost(Duration.ofSeconds(20)).until(() -> !history.since(Instant.EPOCH).isEmpty());
                assertThat(history.since(Instant.EPOCH)).extracting(CapacityHistory.Sample::pool).contains("k8s", "vm");
                Thread thread = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("capacity-sampler"))
                        .findFirst().orElseThrow();
                assertThat(thread.isDaemon()).isTrue();
            }
        }
    }
}
