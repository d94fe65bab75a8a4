package dsp.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.Fleet;
import dsp.core.ledger.CapacityLedger;
import dsp.core.model.Allocation;
import dsp.core.model.PlacementPolicy;
import dsp.core.model.PoolCatalog;
import dsp.core.model.Server;
import dsp.core.port.StorageMeter;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import dsp.core.usecase.CapacityAdmission;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Health and disk checks exactly at their thresholds, and what the status counts per pool and per
 * server. Disks are measured by the background survey ({@link Fleet#measure()}), never by a query.
 */
class StatusLimitsTest {

    private static final long GB = 1_000_000_000L;

    /** A meter that answers what the test says each server's disk holds. */
    private static final class Disks implements StorageMeter {
        final List<ServerDiskUsage> usage = new ArrayList<>();

        @Override
        public List<ServerDiskUsage> measure(List<Server> servers) {
            return List.copyOf(usage);
        }
    }

    private final Disks disks = new Disks();
    private final Fleet fleet = new Fleet(PoolCatalog.guideDefaults(), disks);

    private void admit(String name, String pool, long size, String server) {
        fleet.admission.admit(new CapacityAdmission.Request(name, pool, size, "volume", Optional.ofNullable(server)));
    }

    private static ServerDiskUsage disk(String server, long pooled, String filesystem, long filesystemBytes) {
        return new ServerDiskUsage(server, Map.of("k8s", pooled), 0, filesystem, filesystemBytes, filesystemBytes / 2);
    }

    private PoolFigures pool(String name) {
        return fleet.queries.status().pool(name).orElseThrow();
    }

    /** Percentages are the figures the status shows (two decimals, half up); health compares those. */
    private static final long HALF_A_HUNDREDTH_OF_A_PERCENT = 75_000_000L; // of 1.5 TB

    @Test
    void exactlyAtTheCriticalThresholdIsAWarningAndAboveItCritical() {
        fleet.label("k8s-1", "k8s");
        admit("a", "k8s", 1350 * GB, null); // 90.00 %
        admit("b", "k8s", HALF_A_HUNDREDTH_OF_A_PERCENT - 1, null); // 90.00499.. %, shown 90 %
        assertThat(pool("k8s").usagePercent()).isEqualTo(90.0);
        assertThat(pool("k8s").health()).isEqualTo(Health.WARNING);
        assertThat(fleet.queries.status().warnings()).singleElement().asString()
                .isEqualTo("k8s_pool is above the warning threshold: allocated usage 90% is above 75%");
        assertThat(fleet.queries.status().errors()).isEmpty();
        admit("c", "k8s", 1, null); // 90.005 %, shown 90.01 %
        assertThat(pool("k8s").usagePercent()).isEqualTo(90.01);
        assertThat(pool("k8s").health()).isEqualTo(Health.CRITICAL);
        assertThat(fleet.queries.status().overall()).isEqualTo(Health.CRITICAL);
        assertThat(fleet.queries.status().errors()).singleElement().asString()
                .isEqualTo("k8s_pool is critical: allocated usage 90.01% is above 90%");
        assertThat(fleet.queries.status().warnings()).isEmpty();
    }

    @Test
    void whenMeasuredAndAllocatedAreEqualTheAllocatedFigureIsNamed() {
        fleet.label("k8s-1", "k8s");
        admit("a", "k8s", 1200 * GB, null); // 80 %
        disks.usage.add(disk("k8s-1", 1200 * GB, "fs-1", 4000 * GB));
        fleet.measure();
        assertThat(fleet.queries.status().warnings()).singleElement().asString().contains("allocated usage 80%");
        disks.usage.set(0, disk("k8s-1", 1200 * GB + HALF_A_HUNDREDTH_OF_A_PERCENT, "fs-1", 4000 * GB));
        fleet.measure();
        assertThat(fleet.queries.status().warnings()).singleElement().asString().contains("measured usage 80.01%");
    }

    @Test
    void strandedVolumesAreCountedInWords() {
        fleet.label("k8s-1", "k8s");
        admit("a", "k8s", GB, "k8s-1");
        fleet.label("k8s-1", "vm");
        assertThat(fleet.queries.status().warnings()).anyMatch(w -> w.startsWith("k8s_pool has 1 stranded volume (1 GB) on servers outside"));
        fleet.label("k8s-1", "k8s");
        admit("b", "k8s", GB, "k8s-1");
        fleet.label("k8s-1", "vm");
        assertThat(fleet.queries.status().warnings()).anyMatch(w -> w.startsWith("k8s_pool has 2 stranded volumes (2 GB)"));
    }

    @Test
    void eachPoolCountsOnlyItsOwnVolumes() {
        fleet.label("k8s-1", "k8s");
        fleet.label("vm-1", "vm");
        admit("a", "k8s", 10 * GB, null);
        admit("b", "vm", 20 * GB, null);
        admit("c", "vm", 30 * GB, null);
        assertThat(pool("k8s").volumes()).isEqualTo(1);
        assertThat(pool("k8s").ownAllocated()).isEqualTo(10 * GB);
        assertThat(pool("vm").volumes()).isEqualTo(2);
        CapacityLedger ledger = fleet.queries.ledger();
        assertThat(ledger.allocationsOf(fleet.catalog.require("vm"))).extracting(Allocation::name).containsExactly("b", "c");
        assertThat(ledger.stranded()).isEmpty();
        fleet.label("vm-1", null);
        assertThat(fleet.queries.ledger().stranded()).extracting(Allocation::name).containsExactly("b", "c");
        assertThat(fleet.queries.ledger().place(fleet.catalog.require("k8s"), 100 * GB, PlacementPolicy.LEAST_ALLOCATED))
                .hasValueSatisfying(s -> assertThat(s.name()).isEqualTo("k8s-1"));
        assertThat(fleet.queries.ledger().place(fleet.catalog.require("k8s"), 1500 * GB, PlacementPolicy.LEAST_ALLOCATED)).isEmpty();
    }

    @Test
    void aDiskThatHoldsExactlyShareAndReserveIsEnough() {
        fleet.label("k8s-1", "k8s");
        fleet.label("k8s-2", "k8s");
        disks.usage.add(disk("k8s-1", 0, "fs-1", 1800 * GB));
        disks.usage.add(disk("k8s-2", 0, "fs-2", 1800 * GB - 1));
        fleet.measure();
        assertThat(check("k8s-1")).isEqualTo(ServerFigures.DiskCheck.OK);
        assertThat(check("k8s-2")).isEqualTo(ServerFigures.DiskCheck.TOO_SMALL);
    }

    @Test
    void serversSharingADiskMayDeclareExactlyWhatItHolds() {
        fleet.label("k8s-1", "k8s");
        fleet.label("k8s-2", "k8s");
        disks.usage.add(disk("k8s-1", 0, "shared", 3600 * GB));
        disks.usage.add(disk("k8s-2", 0, "shared", 3600 * GB));
        fleet.measure();
        assertThat(check("k8s-1")).isEqualTo(ServerFigures.DiskCheck.OK);
        assertThat(fleet.queries.status().overall()).isEqualTo(Health.HEALTHY);
        disks.usage.replaceAll(d -> disk(d.server(), 0, "shared", 3600 * GB - 1));
        fleet.measure();
        assertThat(check("k8s-2")).isEqualTo(ServerFigures.DiskCheck.SHARED_TOO_SMALL);
        assertThat(ServerFigures.DiskCheck.SHARED_TOO_SMALL.display()).isEqualTo("shared too small");
    }

    @Test
    void aDiskOfUnknownSizeIsNotCheckedAndALaterMeasurementReplacesTheEarlierOne() {
        fleet.label("k8s-1", "k8s");
        disks.usage.add(disk("k8s-1", 5 * GB, "fs-1", 0));
        fleet.measure();
        assertThat(check("k8s-1")).isEqualTo(ServerFigures.DiskCheck.UNKNOWN);
        assertThat(pool("k8s").measured()).isEqualTo(5 * GB);
        ServerFigures figures = fleet.queries.serverFigures().get(0);
        assertThat(figures.disk()).hasValueSatisfying(d -> {
            assertThat(d.measured()).isEqualTo(5 * GB);
            assertThat(d.filesystemBytes()).isZero();
        });
        assertThat(figures.required()).isEqualTo(1800 * GB);

        // the next pass measures again: its figures replace the last ones, they never add up
        disks.usage.set(0, disk("k8s-1", 99 * GB, "fs-1", 4000 * GB));
        fleet.measure();
        assertThat(check("k8s-1")).isEqualTo(ServerFigures.DiskCheck.OK);
        assertThat(pool("k8s").measured()).isEqualTo(99 * GB);
        assertThat(fleet.queries.serverFigures("k8s-1").orElseThrow().disk())
                .hasValueSatisfying(d -> assertThat(d.measured()).isEqualTo(99 * GB));
    }

    @Test
    void theMeasuredTimeIsTheSurveysClockAndEmptyBeforeAnyMeasurement() {
        fleet.label("k8s-1", "k8s");
        assertThat(fleet.queries.status().measuredAt()).isEmpty();
        assertThat(pool("k8s").measuredAt()).isEmpty();
        assertThat(fleet.queries.status().checkedAt()).isEqualTo(Instant.parse("2026-11-25T12:00:00Z"));
        disks.usage.add(disk("k8s-1", GB, "fs-1", 4000 * GB));
        fleet.measure();
        assertThat(fleet.queries.status().measuredAt()).contains(Instant.parse("2026-11-25T12:00:00Z"));
        assertThat(pool("k8s").measuredAt()).contains(Instant.parse("2026-11-25T12:00:00Z"));
        assertThat(ServerDiskUsage.volumeKey("k8s", "data")).isEqualTo("k8s/data");
    }

    private ServerFigures.DiskCheck check(String server) {
        return fleet.queries.serverFigures().stream().filter(s -> s.server().equals(server)).findFirst().orElseThrow().diskCheck();
    }
}
