package dsp.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import dsp.core.Fleet;
import dsp.core.health.FleetStatus;
import dsp.core.health.Health;
import dsp.core.model.Allocation;
import dsp.core.model.PlacementPolicy;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.ReclaimPolicy;
import dsp.core.model.Thresholds;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AdmissionAndHealthTest {

    private static final long GB = 1_000_000_000L;

    private static CapacityAdmission.Request req(String name, String pool, long gb) {
        return new CapacityAdmission.Request(name, pool, gb * GB, "volume", Optional.empty());
    }

    @Test
    void guideStatusNumbersWithAllocations() {
        Fleet f = new Fleet();
        for (String s : List.of("k8s-1", "k8s-2", "k8s-3")) {
            f.label(s, "k8s");
        }
        f.label("vm-1", "vm");
        f.label("vm-2", "vm");
        f.admission.admit(req("a", "k8s", 1200));
        f.admission.admit(req("b", "vm", 800));
        FleetStatus s = f.queries.status();
        var k8s = s.pool("k8s").orElseThrow();
        assertThat(k8s.capacity()).isEqualTo(4500 * GB);
        assertThat(k8s.used()).isEqualTo(1200 * GB);
        assertThat(k8s.available()).isEqualTo(3300 * GB);
        assertThat(k8s.usagePercent()).isEqualTo(26.67);
        assertThat(s.pool("vm").orElseThrow().usagePercent()).isEqualTo(26.67);
        assertThat(s.overall()).isEqualTo(Health.HEALTHY);
    }

    @Test
    void leastAllocatedSpreadsAndBinPackingPacks() {
        Fleet spread = new Fleet();
        spread.label("a", "k8s");
        spread.label("b", "k8s");
        assertThat(spread.admission.admit(req("v1", "k8s", 100)).server()).isEqualTo("a");
        assertThat(spread.admission.admit(req("v2", "k8s", 100)).server()).isEqualTo("b");

        PoolCatalog packing = new PoolCatalog(PoolCatalog.guideDefaults().pools(), PoolCatalog.GUIDE_RESERVE,
                Thresholds.GUIDE, PlacementPolicy.BIN_PACKING);
        Fleet pack = new Fleet(packing, servers -> List.of());
        pack.label("a", "k8s");
        pack.label("b", "k8s");
        assertThat(pack.admission.admit(req("v1", "k8s", 100)).server()).isEqualTo("a");
        assertThat(pack.admission.admit(req("v2", "k8s", 100)).server()).isEqualTo("a");
    }

    @Test
    void placementCanBeLimitedToServersThatHoldATemplate() {
        Fleet f = new Fleet();
        f.label("a", "vm");
        f.label("b", "vm");
        var req = new CapacityAdmission.Request("d", "vm", 10 * GB, "vm-disk", Optional.empty(),
                dsp.core.model.VolumeFormat.QCOW2, Optional.of("ubuntu22"), Optional.of("d"), dsp.core.model.VolumePhase.PENDING);
        assertThat(f.admission.admit(req.onlyOn(Optional.of(java.util.Set.of("b")))).server()).isEqualTo("b");
        assertThatThrownBy(() -> f.admission.admit(new CapacityAdmission.Request("e", "vm", 10 * GB, "vm-disk", Optional.empty(),
                dsp.core.model.VolumeFormat.QCOW2, Optional.of("ubuntu22"), Optional.of("e"), dsp.core.model.VolumePhase.PENDING)
                .onlyOn(Optional.of(java.util.Set.of("elsewhere")))))
                .hasMessageContaining("no server of pool vm has template ubuntu22");
    }

    @Test
    void noRoomIsAClearCapacityErrorNamingThePoolAndShortfall() {
        Fleet f = new Fleet();
        f.label("a", "k8s");
        f.admission.admit(req("big", "k8s", 1400));
        assertThatThrownBy(() -> f.admission.admit(req("more", "k8s", 200)))
                .isInstanceOf(DomainException.class)
                .hasMessageContaining("pool k8s")
                .hasMessageContaining("short by 100 GB")
                .extracting(e -> ((DomainException) e).code()).isEqualTo(DomainException.Code.INSUFFICIENT_CAPACITY);
        assertThat(f.store.listAllocations()).hasSize(1);
    }

    @Test
    void relabelStrandsVolumesWithoutTouchingThemAndTheyStillCountOnTheServer() {
        Fleet f = new Fleet();
        f.label("a", "k8s");
        f.label("b", "k8s");
        Allocation v = f.admission.admit(req("data", "k8s", 1000));
        f.label(v.server(), "vm");

        FleetStatus s = f.queries.status();
        var k8s = s.pool("k8s").orElseThrow();
        var vm = s.pool("vm").orElseThrow();
        assertThat(f.store.listAllocations()).containsExactly(v);
        assertThat(k8s.strandedVolumes()).isEqualTo(1);
        assertThat(k8s.strandedBytes()).isEqualTo(1000 * GB);
        assertThat(k8s.health()).isEqualTo(Health.WARNING);
        assertThat(s.warnings()).anySatisfy(w -> assertThat(w).contains("k8s_pool").contains("stranded").contains(v.server()));
        // the stranded terabyte still occupies the disk it is on: the vm pool can only sell 500 GB there
        assertThat(vm.used()).isEqualTo(1000 * GB);
        assertThat(vm.available()).isEqualTo(500 * GB);
        assertThatThrownBy(() -> f.admission.admit(req("vmdisk", "vm", 600))).isInstanceOf(DomainException.class);
        // removing the server is refused while it holds the data
        assertThatThrownBy(() -> f.servers.remove(v.server()))
                .isInstanceOf(DomainException.class).hasMessageContaining("still holds");
        f.admission.release(v.id());
        f.servers.remove(v.server());
        assertThat(f.queries.status().overall()).isEqualTo(Health.HEALTHY);
    }

    @Test
    void healthUsesTheHigherOfAllocatedAndMeasured() {
        long[] measured = {0};
        Fleet f = new Fleet(PoolCatalog.guideDefaults(), servers -> List.of(
                new ServerDiskUsage("a", Map.of("k8s", measured[0]), 0, "fs", 0, 0)));
        f.label("a", "k8s");
        f.admission.admit(req("v", "k8s", 1140)); // 76 %
        f.measure();
        FleetStatus warn = f.queries.status();
        assertThat(warn.pool("k8s").orElseThrow().health()).isEqualTo(Health.WARNING);
        assertThat(warn.overall()).isEqualTo(Health.WARNING);
        assertThat(warn.warnings()).anySatisfy(w -> assertThat(w).startsWith("k8s_pool"));

        measured[0] = 1400 * GB; // 93.33 % really written
        assertThat(f.queries.status().pool("k8s").orElseThrow().health()).as("measuring is not done on a request")
                .isEqualTo(Health.WARNING);
        f.measure();
        FleetStatus crit = f.queries.status();
        assertThat(crit.pool("k8s").orElseThrow().health()).isEqualTo(Health.CRITICAL);
        assertThat(crit.errors()).anySatisfy(w -> assertThat(w).contains("k8s_pool").contains("measured usage 93.33%"));
        assertThat(crit.pool("vm").orElseThrow().health()).isEqualTo(Health.HEALTHY);
    }

    @Test
    void exactlySeventyFivePercentIsStillHealthy() {
        Fleet f = new Fleet();
        f.label("a", "k8s");
        f.admission.admit(req("v", "k8s", 1125));
        assertThat(f.queries.status().pool("k8s").orElseThrow().health()).isEqualTo(Health.HEALTHY);
    }

    @Test
    void declaredSharesBeyondTheRealDiskAreAWarning() {
        Fleet f = new Fleet(PoolCatalog.guideDefaults(), servers -> servers.stream()
                .map(s -> new ServerDiskUsage(s.name(), Map.of(), 0, "laptop-disk", 250 * GB, 100 * GB)).toList());
        f.label("a", "k8s");
        f.label("b", "vm");
        f.measure();
        FleetStatus s = f.queries.status();
        assertThat(s.overall()).isEqualTo(Health.WARNING);
        assertThat(s.warnings()).anySatisfy(w -> assertThat(w).contains("declare 3.6 TB").contains("250 GB"));
    }

    @Test
    void aThirdPoolNeedsOnlyConfiguration() {
        List<PoolDefinition> pools = new ArrayList<>(PoolCatalog.guideDefaults().pools());
        pools.add(new PoolDefinition("backup", "backup", 4_000 * GB, null, "/backup-storage-pool", ReclaimPolicy.RETAIN, 1.0));
        Fleet f = new Fleet(new PoolCatalog(pools, PoolCatalog.GUIDE_RESERVE, Thresholds.GUIDE, PlacementPolicy.LEAST_ALLOCATED),
                servers -> List.of());
        f.label("b1", "backup");
        f.label("b2", "backup");
        assertThat(f.queries.status().pool("backup").orElseThrow().capacity()).isEqualTo(8_000 * GB);
        assertThat(f.queries.status().pool("backup").orElseThrow().pool().statusKey()).isEqualTo("backup_pool");
    }

    @Test
    void aServerMayOverrideItsShare() {
        Fleet f = new Fleet();
        f.servers.assign("big", Optional.of("vm"), Optional.of(4_000 * GB));
        f.label("small", "vm");
        assertThat(f.queries.status().pool("vm").orElseThrow().capacity()).isEqualTo(5_500 * GB);
        // moving keeps the override
        f.label("big", "k8s");
        assertThat(f.queries.status().pool("k8s").orElseThrow().capacity()).isEqualTo(4_000 * GB);
    }

    @Test
    void growIsGrowOnlyAndChecksTheServerBudget() {
        Fleet f = new Fleet();
        f.label("a", "vm");
        Allocation d = f.admission.admit(req("disk", "vm", 50));
        assertThat(f.admission.grow(d.id(), 100 * GB).sizeBytes()).isEqualTo(100 * GB);
        assertThat(f.admission.grow(d.id(), 100 * GB).sizeBytes()).isEqualTo(100 * GB);
        assertThatThrownBy(() -> f.admission.grow(d.id(), 10 * GB))
                .extracting(e -> ((DomainException) e).code()).isEqualTo(DomainException.Code.CONFLICT);
        assertThatThrownBy(() -> f.admission.grow(d.id(), 1_600 * GB))
                .extracting(e -> ((DomainException) e).code()).isEqualTo(DomainException.Code.INSUFFICIENT_CAPACITY);
        assertThat(f.store.findAllocation(d.id()).orElseThrow().sizeBytes()).isEqualTo(100 * GB);
    }

    @Test
    void unknownPoolsAreClearErrors() {
        Fleet f = new Fleet();
        assertThatThrownBy(() -> f.label("a", "nope"))
                .isInstanceOf(DomainException.class).hasMessageContaining("pool 'nope' does not exist");
        assertThatThrownBy(() -> f.admission.admit(req("v", "nope", 1)))
                .extracting(e -> ((DomainException) e).code()).isEqualTo(DomainException.Code.NOT_FOUND);
        assertThat(f.inventory.listServers()).isEmpty();
    }
}
