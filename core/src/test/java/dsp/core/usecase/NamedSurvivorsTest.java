package dsp.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import dsp.core.Fleet;
import dsp.core.health.ReserveFigures;
import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.Quantity;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Mutants that once survived every test (#11): each test here fails when its line is broken.
 * (The Kubernetes ones are in the kubernetes module's NamedSurvivorsTest.)
 */
class NamedSurvivorsTest {

    private static final long GB = 1_000_000_000L;

    /** The guide's system_reserve: 5 servers, 1500 GB, used 200, available 1300, 13.33 %. */
    @Test
    void theReserveIsWhatTheServersUseOutsideTheirPools() {
        // 40 GB measured outside the pool directories on each of the 5 servers (and pool data that must not count)
        Fleet fleet = new Fleet(PoolCatalog.guideDefaults(), servers -> servers.stream()
                .map(s -> new ServerDiskUsage(s.name(), Map.of("k8s", 7 * GB, "vm", 3 * GB), 40 * GB, "fs-" + s.name(), 4_000 * GB, 3_000 * GB))
                .toList());
        for (String s : List.of("k8s-1", "k8s-2", "k8s-3")) {
            fleet.label(s, "k8s");
        }
        for (String s : List.of("vm-1", "vm-2")) {
            fleet.label(s, "vm");
        }
        fleet.measure(); // one pass of the background survey
        ReserveFigures reserve = fleet.queries.status().reserve();
        assertThat(reserve.servers()).isEqualTo(5);
        assertThat(Quantity.toGb(reserve.capacity())).isEqualTo(1500.0);
        assertThat(Quantity.toGb(reserve.used())).isEqualTo(200.0);
        assertThat(Quantity.toGb(reserve.available())).isEqualTo(1300.0);
        assertThat(reserve.usagePercent()).isEqualTo(13.33);
    }

    @Test
    void aStrandedVolumeCannotGrowEvenWhereThereIsRoom() {
        Fleet fleet = new Fleet();
        fleet.label("k8s-1", "k8s");
        Allocation a = fleet.admission.admit(new CapacityAdmission.Request("data", "k8s", 100 * GB, "volume", Optional.empty()));
        fleet.label("k8s-1", "vm"); // the server moves: its k8s volume is stranded there, with 1400 GB free on it
        assertThat(fleet.queries.ledger().isStranded(fleet.store.findAllocation(a.id()).orElseThrow())).isTrue();
        assertThatThrownBy(() -> fleet.admission.grow(a.id(), 200 * GB))
                .isInstanceOf(DomainException.class)
                .hasMessageContaining("stranded")
                .extracting(e -> ((DomainException) e).code()).isEqualTo(DomainException.Code.CONFLICT);
        assertThat(fleet.store.findAllocation(a.id()).orElseThrow().sizeBytes()).isEqualTo(100 * GB);
        fleet.label("k8s-1", null); // and a server outside every pool is no better
        assertThatThrownBy(() -> fleet.admission.grow(a.id(), 200 * GB)).hasMessageContaining("stranded");
    }
}
