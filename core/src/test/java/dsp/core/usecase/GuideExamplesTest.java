package dsp.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.Fleet;
import dsp.core.health.FleetStatus;
import dsp.core.health.PoolFigures;
import dsp.core.model.Quantity;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The guide's "Pool Scaling Examples" 1–3 with its exact numbers. */
class GuideExamplesTest {

    private Fleet fleet;

    @BeforeEach
    void startWithTwoAndTwo() {
        fleet = new Fleet();
        fleet.label("k8s-1", "k8s");
        fleet.label("k8s-2", "k8s");
        fleet.label("vm-1", "vm");
        fleet.label("vm-2", "vm");
        assertPools(2, 3000, 2, 3000);
    }

    @Test
    void example1AddingAServerToTheK8sPool() {
        fleet.label("new-k8s-server", "k8s");
        assertPools(3, 4500, 2, 3000);
        assertThat(Quantity.toGb(fleet.queries.status().reserve().capacity())).isEqualTo(1500.0);
        assertThat(fleet.queries.status().reserve().servers()).isEqualTo(5);
    }

    @Test
    void example2RemovingAServerFromTheK8sPool() {
        fleet.label("old-k8s-server", "k8s");
        assertPools(3, 4500, 2, 3000);
        fleet.label("old-k8s-server", null);
        assertPools(2, 3000, 2, 3000);
    }

    @Test
    void example3MovingAServerBetweenPools() {
        fleet.label("k8s-1", "vm");
        assertPools(1, 1500, 3, 4500);
    }

    private void assertPools(int k8sServers, double k8sGb, int vmServers, double vmGb) {
        FleetStatus s = fleet.queries.status();
        PoolFigures k8s = s.pool("k8s").orElseThrow();
        PoolFigures vm = s.pool("vm").orElseThrow();
        assertThat(k8s.servers()).isEqualTo(k8sServers);
        assertThat(Quantity.toGb(k8s.capacity())).isEqualTo(k8sGb);
        assertThat(vm.servers()).isEqualTo(vmServers);
        assertThat(Quantity.toGb(vm.capacity())).isEqualTo(vmGb);
        assertThat(s.reserve().servers()).isEqualTo(k8sServers + vmServers);
        assertThat(Quantity.toGb(s.reserve().capacity())).isEqualTo((k8sServers + vmServers) * 300.0);
    }
}
