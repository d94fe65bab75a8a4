package dsp.core.history;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.Fleet;
import dsp.core.health.FleetStatus;
import dsp.core.health.Health;
import dsp.core.usecase.CapacityAdmission;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The capacity history the dashboard draws and the threshold crossings the server logs. */
class CapacityHistoryTest {

    private static final long GB = 1_000_000_000L;
    private final Fleet fleet = new Fleet();
    private final CapacityHistory history = new CapacityHistory(Duration.ofDays(3), Duration.ofMinutes(1));

    private FleetStatus at(Instant when) {
        return fleet.queries.status().checkedAt(when);
    }

    @Test
    void crossingAThresholdAndRecoveringEachGiveOneLine() {
        fleet.label("a", "k8s");
        Instant t = Instant.parse("2026-11-25T12:00:00Z");
        assertThat(history.record(at(t))).isEmpty();

        fleet.admission.admit(new CapacityAdmission.Request("big", "k8s", 1200 * GB, "volume", Optional.empty()));
        List<String> up = history.record(at(t.plusSeconds(10)));
        assertThat(up).singleElement().asString().startsWith("k8s_pool went from healthy to warning").contains("80.00%");
        assertThat(history.record(at(t.plusSeconds(20)))).as("no line while it stays in warning").isEmpty();

        fleet.admission.release(fleet.store.listAllocations().get(0).id());
        assertThat(history.record(at(t.plusSeconds(30)))).singleElement().asString()
                .startsWith("k8s_pool went from warning to healthy").endsWith("(recovered)");
    }

    @Test
    void unchangedFiguresAreKeptOnceAMinuteChangesAtOnceAndOldSamplesAreForgotten() {
        fleet.label("a", "k8s");
        Instant t = Instant.parse("2026-11-25T12:00:00Z");
        history.record(at(t));
        history.record(at(t.plusSeconds(10)));
        assertThat(history.since(t)).hasSize(2).as("k8s and vm once each");
        fleet.label("b", "k8s");
        history.record(at(t.plusSeconds(20)));
        assertThat(history.since(t).stream().filter(s -> s.pool().equals("k8s")).map(CapacityHistory.Sample::servers))
                .containsExactly(1, 2);
        history.record(at(t.plusSeconds(80)));
        assertThat(history.since(t.plusSeconds(80))).hasSize(2).allSatisfy(s -> assertThat(s.health()).isEqualTo(Health.HEALTHY));

        history.record(at(t.plus(Duration.ofDays(3)).plusSeconds(30)));
        assertThat(history.since(Instant.EPOCH)).as("samples older than 3 days are gone")
                .allSatisfy(s -> assertThat(s.at()).isAfterOrEqualTo(t.plusSeconds(30)));
    }
}
