package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The smoke of the reschedule benchmark ({@code CapacitySchedulingBenchmark} runs 1,000 claims under
 * {@code make bench}): 100 claims on a fleet where no node fills up during the burst, so with
 * published capacity the scheduler (almost) never picks a node the provisioner must refuse.
 */
class CapacitySchedulingTest {

    private static final SchedulingScenario.Fleet FLEET = new SchedulingScenario.Fleet(1, 0, 0, 3, 2, 2);

    @Test
    void withPublishedCapacityNoClaimIsSentBackWhileBeforeMostWere() throws Exception {
        SchedulingScenario.Result before = SchedulingScenario.run(FLEET, 100, false, 8);
        SchedulingScenario.Result published = SchedulingScenario.run(FLEET, 100, true, 8);
        System.out.println(before.line());
        System.out.println(published.line());
        // the publisher runs in pool-scaling-controller's pod, apart from the provisioner's (as deploy/ runs them):
        // a value it publishes trails an admission by one watch round trip, so a claim in that gap may still
        // be sent back once (the provisioner's reschedule is the guard); never more than 2 %
        assertThat(published.reschedules()).as(published.line()).isLessThanOrEqualTo(2);
        assertThat(before.reschedules()).as("5 of 8 nodes cannot take a k8s claim: " + before.line()).isGreaterThan(20);
    }
}
