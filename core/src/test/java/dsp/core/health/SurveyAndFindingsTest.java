package dsp.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.Fleet;
import dsp.core.model.PoolCatalog;
import dsp.core.model.Server;
import dsp.core.port.StorageMeter;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import dsp.core.usecase.CapacityAdmission;
import dsp.core.usecase.DiskSurvey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The background disk survey's batches, and findings that name many servers. */
class SurveyAndFindingsTest {

    private static final long GB = 1_000_000_000L;

    /** Every server has {@code pooled} GB in its k8s directory on its own 4 TB disk; some batches fail. */
    private static final class Meter implements StorageMeter {
        final List<List<String>> asked = Collections.synchronizedList(new ArrayList<>());
        final Set<String> unreachable = ConcurrentHashMap.newKeySet();
        volatile long pooled = GB;

        @Override
        public List<ServerDiskUsage> measure(List<Server> servers) {
            asked.add(servers.stream().map(Server::name).toList());
            if (servers.stream().anyMatch(s -> unreachable.contains(s.name()))) {
                throw new IllegalStateException("ssh: connection refused");
            }
            return servers.stream().map(s -> new ServerDiskUsage(s.name(), Map.of("k8s", pooled), 0, "fs-" + s.name(),
                    4000 * GB, 2000 * GB)).toList();
        }
    }

    private final Meter meter = new Meter();
    private final Fleet fleet = new Fleet(PoolCatalog.guideDefaults(), meter);

    @Test
    void aPassAsksAboutEveryServerInBatchesAndABatchThatFailsKeepsItsServersLastFigures() {
        for (String s : List.of("k8s-1", "k8s-2", "k8s-3", "k8s-4", "k8s-5")) {
            fleet.label(s, "k8s");
        }
        DiskSurvey.Pass first = fleet.survey.pass();
        assertThat(first).isEqualTo(new DiskSurvey.Pass(5, 5, 0));
        assertThat(meter.asked).containsExactly(List.of("k8s-1", "k8s-2"), List.of("k8s-3", "k8s-4"), List.of("k8s-5"));
        assertThat(fleet.queries.status().pool("k8s").orElseThrow().measured()).isEqualTo(5 * GB);

        meter.pooled = 2 * GB;
        meter.unreachable.add("k8s-3");
        DiskSurvey.Pass second = fleet.survey.pass();
        assertThat(second).isEqualTo(new DiskSurvey.Pass(5, 3, 1));
        // k8s-3 and k8s-4 (the failed batch) keep 1 GB each; the others now show 2 GB
        assertThat(fleet.queries.status().pool("k8s").orElseThrow().measured()).isEqualTo(8 * GB);
        assertThat(fleet.queries.serverFigures("k8s-4").orElseThrow().disk())
                .hasValueSatisfying(d -> assertThat(d.measured()).isEqualTo(GB));
    }

    @Test
    void aSurveyMeasuresAtLeastOneServerAtATime() {
        fleet.label("k8s-1", "k8s");
        DiskSurvey one = new DiskSurvey(fleet.ledger, meter, fleet.clock, 1);
        assertThat(one.pass()).isEqualTo(new DiskSurvey.Pass(1, 1, 0));
        assertThat(meter.asked).containsExactly(List.of("k8s-1"));
        assertThatThrownBy(() -> new DiskSurvey(fleet.ledger, meter, fleet.clock, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("batch must be at least 1");
    }

    @Test
    void anEmptyFleetAsksTheMeterNothing() {
        assertThat(fleet.survey.pass()).isEqualTo(new DiskSurvey.Pass(0, 0, 0));
        assertThat(meter.asked).isEmpty();
    }

    @Test
    void strandedVolumesOnManyServersNameTheFirstTenAndCountTheRest() {
        List<String> servers = IntStream.rangeClosed(1, 12).mapToObj(i -> String.format("k8s-%02d", i)).toList();
        for (String s : servers) {
            fleet.label(s, "k8s");
            fleet.admission.admit(new CapacityAdmission.Request("v-" + s, "k8s", GB, "volume", Optional.of(s)));
        }
        for (String s : servers) {
            fleet.label(s, "vm");
        }
        assertThat(fleet.queries.status().warnings()).contains("k8s_pool has 12 stranded volumes (12 GB) on servers outside the pool: "
                + String.join(", ", servers.subList(0, 10)) + " and 2 more; the data is untouched and stays until deleted");

        fleet.label("k8s-11", "k8s");
        fleet.label("k8s-12", "k8s");
        assertThat(fleet.queries.status().warnings()).contains("k8s_pool has 10 stranded volumes (10 GB) on servers outside the pool: "
                + String.join(", ", servers.subList(0, 10)) + "; the data is untouched and stays until deleted");
    }

    @Test
    void serversLabelledForAPoolThatIsNotConfiguredAreNamedOnceOrCounted() {
        // as a Kubernetes node labelled by hand would be: standalone refuses the label
        labelled("b-1", "backup");
        assertThat(fleet.queries.status().warnings()).containsExactly(
                "server b-1 is labelled pool=backup but no such pool is configured; it contributes to no pool");
        labelled("b-2", "backup");
        assertThat(fleet.queries.status().warnings()).containsExactly(
                "2 servers (b-1, b-2) are labelled pool=backup but no such pool is configured; they contribute to no pool");
        assertThat(fleet.queries.status().overall()).isEqualTo(Health.WARNING);
        assertThat(fleet.queries.serverFigures("b-1").orElseThrow().pool()).isEmpty();
    }

    private void labelled(String server, String label) {
        fleet.inventory.saveServer(new Server(server, Optional.of(label), Optional.empty(), fleet.clock.instant()));
    }

    @Test
    void diskFindingsAreSortedByServerAndEachServerNamesItsPool() {
        StorageMeter small = list -> list.stream().map(s -> new ServerDiskUsage(s.name(), Map.of(), 0, "fs-" + s.name(),
                100 * GB, 50 * GB)).toList();
        Fleet f = new Fleet(PoolCatalog.guideDefaults(), small);
        f.label("zeta", "vm");
        f.label("alpha", "k8s");
        f.label("mid", "vm");
        f.measure();
        assertThat(f.queries.status().diskFindings()).extracting(FleetStatus.DiskFinding::server).containsExactly("alpha", "mid", "zeta");
        assertThat(f.queries.serverFigures("alpha").orElseThrow().pool()).contains("k8s");
        assertThat(f.queries.serverFigures()).extracting(ServerFigures::pool)
                .containsExactlyInAnyOrder(Optional.of("k8s"), Optional.of("vm"), Optional.of("vm"));
    }
}
