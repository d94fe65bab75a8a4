package dsp.kubernetes.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.health.Health;
import dsp.core.health.PoolFigures;
import dsp.core.health.ServerFigures;
import dsp.kubernetes.controller.PoolNotices.Notice;
import dsp.kubernetes.controller.PoolNotices.ServerChange;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The Events the scaling controller records, from what it saw before and sees now: no API server. */
class PoolNoticesTest {

    private static final Optional<String> K8S = Optional.of("k8s");
    private static final Optional<String> VM = Optional.of("vm");
    private static final Optional<String> NONE = Optional.empty();

    @Test
    void theFirstLookRecordsNoChanges() {
        assertThat(PoolNotices.serverChanges(null, Map.of("k8s-1", K8S))).isEmpty();
    }

    @Test
    void serversThatJoinLeaveOrMoveAreChanges() {
        Map<String, Optional<String>> before = Map.of("a", K8S, "b", K8S, "c", NONE, "d", VM, "e", VM, "f", NONE);
        Map<String, Optional<String>> now = Map.of("a", K8S, "b", VM, "c", K8S, "d", NONE, "g", K8S, "h", NONE);
        assertThat(PoolNotices.serverChanges(before, now)).containsExactlyInAnyOrder(
                new ServerChange("b", K8S, VM),
                new ServerChange("c", NONE, K8S),
                new ServerChange("d", VM, NONE),
                new ServerChange("e", VM, NONE), // gone from the cluster while in a pool
                new ServerChange("g", NONE, K8S)); // new; f (gone, in no pool) and h (new, in no pool) are no change
    }

    @Test
    void eachChangeIsTold() {
        assertThat(PoolNotices.serverNotice(new ServerChange("k8s-6", NONE, K8S), "1.5 TB"))
                .isEqualTo(new Notice(false, "ServerJoinedPool", "node k8s-6 joined pool k8s (+1.5 TB)"));
        assertThat(PoolNotices.serverNotice(new ServerChange("k8s-6", K8S, NONE), "1.5 TB"))
                .isEqualTo(new Notice(false, "ServerLeftPool", "node k8s-6 left pool k8s; its data stays where it is"));
        assertThat(PoolNotices.serverNotice(new ServerChange("k8s-6", K8S, VM), "1.5 TB"))
                .isEqualTo(new Notice(false, "ServerMovedPool", "node k8s-6 moved from pool k8s to pool vm (1.5 TB moved); its data stays where it is"));
    }

    @Test
    void aHealthChangeIsToldAndTheFirstLookOrTheSameHealthIsNot() {
        PoolFigures healthy = PoolStatusModelTest.figures();
        assertThat(PoolNotices.thresholdNotice(null, healthy)).isEmpty();
        assertThat(PoolNotices.thresholdNotice(Health.HEALTHY, healthy)).isEmpty();
        assertThat(PoolNotices.thresholdNotice(Health.WARNING, healthy)).contains(new Notice(false, "PoolHealthy",
                "pool k8s is healthy again (usage 26.67% allocated, 16.0% measured)"));
        assertThat(PoolNotices.thresholdNotice(Health.HEALTHY, PoolStatusModelTest.with(healthy, Health.WARNING, 0, 0)))
                .contains(new Notice(true, "PoolWarning", "pool k8s is warning (usage 26.67% allocated, 16.0% measured)"));
        assertThat(PoolNotices.thresholdNotice(Health.WARNING, PoolStatusModelTest.with(healthy, Health.CRITICAL, 0, 0)))
                .contains(new Notice(true, "PoolCritical", "pool k8s is critical (usage 26.67% allocated, 16.0% measured)"));
        assertThat(PoolNotices.thresholdNotice(Health.CRITICAL, PoolStatusModelTest.with(healthy, Health.CRITICAL, 0, 0))).isEmpty();
    }

    @Test
    void moreStrandedVolumesAreToldFewerOrAsManyAreNot() {
        PoolFigures two = PoolStatusModelTest.with(PoolStatusModelTest.figures(), Health.HEALTHY, 2, 30_000_000_000L);
        Notice told = new Notice(true, "VolumesStranded", "2 volume(s) of pool k8s (30 GB) are on nodes outside the pool; their data is untouched");
        assertThat(PoolNotices.strandedNotice(null, two)).contains(told);
        assertThat(PoolNotices.strandedNotice(1, two)).contains(told);
        assertThat(PoolNotices.strandedNotice(2, two)).isEmpty();
        assertThat(PoolNotices.strandedNotice(3, two)).isEmpty();
        assertThat(PoolNotices.strandedNotice(null, PoolStatusModelTest.figures())).isEmpty();
    }

    @Test
    void aDiskTooSmallIsToldWithItsSizeAndWhatItNeeds() {
        ServerFigures.Disk disk = new ServerFigures.Disk(0, 0, 1_000_000_000_000L, 900_000_000_000L, Map.of(), Optional.empty());
        ServerFigures small = new ServerFigures("k8s-3", K8S, 1_500_000_000_000L, 1_800_000_000_000L, 0, 0, 0, Optional.of(disk),
                ServerFigures.DiskCheck.TOO_SMALL);
        assertThat(PoolNotices.diskTooSmall(small)).isEqualTo(new Notice(true, "DiskTooSmall",
                "node k8s-3's disk holds 1 TB, less than its share plus the system reserve (1.8 TB) in pool k8s"));
        ServerFigures unmeasured = new ServerFigures("k8s-4", NONE, 0, 1_800_000_000_000L, 0, 0, 0, Optional.empty(), ServerFigures.DiskCheck.UNKNOWN);
        assertThat(PoolNotices.diskTooSmall(unmeasured).message())
                .isEqualTo("node k8s-4's disk holds 0 B, less than its share plus the system reserve (1.8 TB) in pool -");
    }
}
