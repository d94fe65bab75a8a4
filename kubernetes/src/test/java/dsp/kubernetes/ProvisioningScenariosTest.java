package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark scenarios at a tiny size, so they keep working between runs of {@code make bench};
 * each checks its own outcome (all provisioned once, none oversold). Nothing here is timed.
 */
class ProvisioningScenariosTest {

    @TempDir
    Path disks;

    @Test
    void aSmallBurstIsProvisionedOnceEachAndItsFloorRuns() throws Exception {
        ProvisioningScenarios.Burst burst = ProvisioningScenarios.burst(disks, 2, 20);
        assertThat(burst.latencyNanos()).hasSize(20);
        assertThat(java.util.Arrays.stream(burst.latencyNanos()).min().orElseThrow()).isPositive();
        assertThat(ProvisioningScenarios.floor(2, 20)).isPositive();
    }
}
