package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.api.body.HistoryBodies;
import dsp.core.health.FleetStatus;
import dsp.core.history.CapacityHistory;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import dsp.core.usecase.CapacityAdmission;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the dashboard at / draws: volumes largest first with what their disks hold, and one sample per pool and 5-minute slot. */
class DashboardDataTest {

    private static final long GB = 1_000_000_000L;
    private final ApiHarness h = new ApiHarness();

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void volumesComeLargestFirstWithTheBytesMeasuredOnTheirDisk() {
        assertThat(h.put("/api/v1/servers/k8s-1", "{\"pool\": \"k8s\"}").status()).isEqualTo(201);
        for (String[] v : new String[][] {{"alpha", "10"}, {"zulu", "300"}, {"mike", "50"}}) {
            h.admission.admit(new CapacityAdmission.Request(v[0], "k8s", Long.parseLong(v[1]) * GB, "volume", Optional.of("k8s-1"),
                    VolumeFormat.DIRECTORY, Optional.empty(), Optional.empty(), VolumePhase.READY));
        }
        h.ledger.measured(new ServerDiskUsage("k8s-1", Map.of("k8s", 40 * GB), 0, "fs", 4_000 * GB, 3_000 * GB,
                Map.of("k8s/mike", 7 * GB), Optional.empty()), Instant.now());

        JsonNode dashboard = h.get("/api/v1/dashboard").json();
        assertThat(dashboard.get("volumes_total").asInt()).isEqualTo(3);
        assertThat(dashboard.get("volumes")).extracting(v -> v.get("name").asText()).containsExactly("zulu", "mike", "alpha");
        assertThat(dashboard.get("volumes").get(1).get("measured_used_gb").asInt()).isEqualTo(7);
        assertThat(dashboard.get("volumes").get(0).has("measured_used_gb")).isFalse();
        assertThat(dashboard.get("auth_required").asBoolean()).isFalse();
    }

    @Test
    void historyKeepsTheLastSampleOfEachFiveMinuteSlotOfTheLastDay() {
        assertThat(h.put("/api/v1/servers/k8s-1", "{\"pool\": \"k8s\"}").status()).isEqualTo(201);
        // now is 100 s past a 5-minute boundary of the epoch, so the day's slots start 100 s past one too
        Instant now = Instant.ofEpochMilli(1_764_158_400_000L + 100_000);
        Instant since = now.minus(Duration.ofHours(24));
        FleetStatus status = h.services.queries().status();
        CapacityHistory history = ApiServices.defaultHistory();
        history.record(status.checkedAt(since.minusSeconds(120))); // older than a day: not drawn
        history.record(status.checkedAt(since.plusSeconds(50))); // slot 0, replaced by the next
        history.record(status.checkedAt(since.plusSeconds(250))); // slot 0
        history.record(status.checkedAt(since.plusSeconds(400))); // slot 1

        assertThat(history.since(Instant.EPOCH)).hasSize(8); // every sample was kept: the slots choose, not the history
        List<HistoryBodies.Sample> drawn = DashboardData.history(history, now);
        assertThat(drawn).filteredOn(s -> s.pool().equals("k8s")).extracting(HistoryBodies.Sample::at)
                .containsExactly(since.plusSeconds(250).toString(), since.plusSeconds(400).toString());
        assertThat(drawn).hasSize(4); // and the same for the vm pool
    }
}
