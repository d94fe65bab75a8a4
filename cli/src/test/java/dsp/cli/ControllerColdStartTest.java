package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.kubernetes.ColdStart;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller cold start that {@code make bench} measures at 5,000 Nodes / 200,000 PoolVolumes
 * (ProvisioningBenchmark, through bin/poolctl), at a tiny size so it cannot rot: both controller
 * workloads as their own {@code poolctl controller} processes against the test API server, which
 * answers their lists in pages. Checks that pool-status comes out right and each process's heap
 * can be read; nothing here is timed.
 */
class ControllerColdStartTest {

    @TempDir
    Path dir;

    @Test
    void bothWorkloadsStartColdAsProcessesAndPoolStatusComesOutRight() throws Exception {
        List<String> poolctl = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), "dsp.cli.Poolctl");
        // more PoolVolumes than a page (500), so the informers' lists continue
        ColdStart.Result cold = ColdStart.run(20, 1200, poolctl, Map.of(), dir);
        assertThat(cold.processes()).extracting(ColdStart.Process::workload).containsExactlyInAnyOrder("pool-scaling-controller", "k8s-pool-provisioner");
        assertThat(cold.processes()).allSatisfy(p -> {
            assertThat(p.liveHeapBytes()).isPositive();
            assertThat(p.histogramHead()).contains("num").contains("instances");
        });
    }
}
