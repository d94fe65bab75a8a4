package dsp.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.Fleet;
import dsp.core.model.PoolCatalog;
import dsp.core.port.StorageMeter;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The guide's prerequisite, checked per server: a disk holds the server's share plus the reserve (1.8 TB by default). */
class DiskPrerequisiteTest {

    private static final long GB = 1_000_000_000L;

    /** Each server on its own disk of the given size in GB (the "fs-" + name file system). */
    private final Map<String, Long> disks = new java.util.HashMap<>();
    private final StorageMeter ownDisks = list -> list.stream().filter(s -> disks.containsKey(s.name()))
            .map(s -> new ServerDiskUsage(s.name(), Map.of(), 0, "fs-" + s.name(), disks.get(s.name()) * GB, GB)).toList();

    private static Fleet fleet(StorageMeter meter, boolean simulated) {
        return new Fleet(PoolCatalog.guideDefaults(), meter, simulated);
    }

    private static void assign(Fleet fleet, String server, String pool, Optional<Long> share) {
        fleet.servers.assign(server, Optional.of(pool), share);
    }

    @Test
    void aServerWhoseDiskCannotHoldShareAndReserveIsAWarningNamingIt() {
        Fleet fleet = fleet(ownDisks, false);
        assign(fleet, "big", "k8s", Optional.empty());
        assign(fleet, "small", "k8s", Optional.empty());
        disks.put("big", 1800L);
        disks.put("small", 1000L);
        fleet.measure();
        FleetStatus s = fleet.queries.status();
        assertThat(s.overall()).isEqualTo(Health.WARNING);
        assertThat(s.warnings()).singleElement().asString().contains("server small's disk holds 1 TB")
                .contains("share 1.5 TB plus the 300 GB reserve (1.8 TB)");
        assertThat(s.diskFindings()).containsExactly(new FleetStatus.DiskFinding("small", ServerFigures.DiskCheck.TOO_SMALL));
        assertThat(fleet.queries.serverFigures("big").orElseThrow().diskCheck()).isEqualTo(ServerFigures.DiskCheck.OK);
        assertThat(fleet.queries.serverFigures("small").orElseThrow().diskCheck()).isEqualTo(ServerFigures.DiskCheck.TOO_SMALL);
        assertThat(fleet.queries.serverFigures("small").orElseThrow().required()).isEqualTo(1800 * GB);
        assertThat(s.notes()).isEmpty();
    }

    @Test
    void exactlyShareAndReserveIsEnoughAndASmallerShareFits() {
        Fleet fleet = fleet(ownDisks, false);
        assign(fleet, "a", "vm", Optional.empty());
        assign(fleet, "b", "vm", Optional.of(500 * GB));
        disks.put("a", 1800L);
        disks.put("b", 800L);
        fleet.measure();
        FleetStatus s = fleet.queries.status();
        assertThat(s.overall()).isEqualTo(Health.HEALTHY);
        assertThat(s.diskFindings()).isEmpty();
        assertThat(fleet.queries.serverFigures()).hasSize(2)
                .allSatisfy(f -> assertThat(f.diskCheck()).isEqualTo(ServerFigures.DiskCheck.OK));
    }

    @Test
    void simulatedServersSharingOneDiskAreANoteAndStayHealthy() {
        StorageMeter oneLaptopDisk = list -> list.stream()
                .map(s -> new ServerDiskUsage(s.name(), Map.of(), 0, "laptop", 250 * GB, 100 * GB)).toList();
        Fleet real = fleet(oneLaptopDisk, false);
        Fleet demo = fleet(oneLaptopDisk, true);
        for (Fleet f : new Fleet[] {real, demo}) {
            assign(f, "k8s-server-1", "k8s", Optional.empty());
            assign(f, "vm-server-1", "vm", Optional.empty());
            f.measure();
        }

        FleetStatus realStatus = real.queries.status();
        assertThat(realStatus.overall()).isEqualTo(Health.WARNING);
        assertThat(realStatus.warnings()).singleElement().asString().contains("declare 3.6 TB");

        FleetStatus demoStatus = demo.queries.status();
        assertThat(demoStatus.overall()).isEqualTo(Health.HEALTHY);
        assertThat(demoStatus.warnings()).isEmpty();
        assertThat(demoStatus.notes()).singleElement().asString().startsWith("demo: ").contains("declare 3.6 TB");
        assertThat(demoStatus.diskFindings()).extracting(FleetStatus.DiskFinding::server).containsExactly("k8s-server-1", "vm-server-1");
        assertThat(demo.queries.serverFigures("vm-server-1").orElseThrow().diskCheck()).isEqualTo(ServerFigures.DiskCheck.SHARED_TOO_SMALL);
    }

    @Test
    void aServerNotMeasuredYetIsUnknownNotAWarning() {
        Fleet fleet = fleet(ownDisks, false);
        assign(fleet, "new", "k8s", Optional.empty());
        fleet.measure();
        FleetStatus s = fleet.queries.status();
        assertThat(s.overall()).isEqualTo(Health.HEALTHY);
        assertThat(fleet.queries.serverFigures("new").orElseThrow().diskCheck()).isEqualTo(ServerFigures.DiskCheck.UNKNOWN);
        assertThat(fleet.queries.serverFigures("new").orElseThrow().disk()).isEmpty();
    }
}
