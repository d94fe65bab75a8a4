package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 1,000 claims against published capacity versus the same burst as the cluster was before (the
 * scheduler choosing without topology or capacity), in one run (`make bench`). A mixed fleet of 40:
 * 20 k8s nodes (4 full, 6 with 100 GB left that fill up during the burst, 10 with their whole
 * share), 6 vm nodes and 4 outside every pool. Target: fewer than 1 % reschedules with capacity.
 */
@Tag("bench")
class CapacitySchedulingBenchmark {

    @Test
    void thousandClaimsReschedulesWithAndWithoutPublishedCapacity() throws Exception {
        SchedulingScenario.Fleet fleet = new SchedulingScenario.Fleet(4, 6, 100, 10, 6, 4);
        SchedulingScenario.Result before = SchedulingScenario.run(fleet, 1000, false, 42);
        SchedulingScenario.Result published = SchedulingScenario.run(fleet, 1000, true, 42);
        System.out.printf("%n[bench] scheduler and capacity: 1000 claims of 5-15 GB on 40 nodes (%s)%n", ProvisioningBenchmark.machine());
        System.out.printf("[bench]   %s%n", before.line());
        System.out.printf("[bench]   %s%n", published.line());
        System.out.printf("[bench]   reschedules with published capacity: %.2f %% of claims (target: under 1 %%), %s of the count before%n",
                published.reschedulePercent(), before.reschedules() == 0 ? "n/a"
                        : String.format("%.1f %%", 100.0 * published.reschedules() / before.reschedules()));
        assertThat(published.reschedulePercent()).as(published.line()).isLessThan(1.0);
        assertThat(published.reschedules()).isLessThan(before.reschedules());
    }
}
