package dsp.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.memory.InMemoryAllocationStore;
import dsp.core.memory.InMemoryServerInventory;
import dsp.core.model.PoolCatalog;
import dsp.core.port.StorageMeter;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import dsp.core.usecase.PoolQueries;
import dsp.core.usecase.ServerAdministration;
import dsp.core.usecase.FleetLock;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The guide's prerequisite, checked per server: a disk holds the server's share plus the reserve (1.8 TB by default). */
class DiskPrerequisiteTest {

    private static final long GB = 1_000_000_000L;
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC);
    private final InMemoryServerInventory inventory = new InMemoryServerInventory();
    private final InMemoryAllocationStore store = new InMemoryAllocationStore();
    private final ServerAdministration servers = new ServerAdministration(PoolCatalog.guideDefaults(), inventory, store, new FleetLock(), clock);

    /** Each server on its own disk of the given size in GB (the "fs-" + name file system). */
    private final Map<String, Long> disks = new java.util.HashMap<>();
    private final StorageMeter ownDisks = list -> list.stream().filter(s -> disks.containsKey(s.name()))
            .map(s -> new ServerDiskUsage(s.name(), Map.of(), 0, "fs-" + s.name(), disks.get(s.name()) * GB, GB)).toList();

    private PoolQueries queries(StorageMeter meter, boolean simulated) {
        return new PoolQueries(PoolCatalog.guideDefaults(), inventory, store, meter, clock, simulated);
    }

    @Test
    void aServerWhoseDiskCannotHoldShareAndReserveIsAWarningNamingIt() {
        servers.assign("big", Optional.of("k8s"), Optional.empty());
        servers.assign("small", Optional.of("k8s"), Optional.empty());
        disks.put("big", 1800L);
        disks.put("small", 1000L);
        FleetStatus s = queries(ownDisks, false).status();
        assertThat(s.overall()).isEqualTo(Health.WARNING);
        assertThat(s.warnings()).singleElement().asString().contains("server small's disk holds 1 TB")
                .contains("share 1.5 TB plus the 300 GB reserve (1.8 TB)");
        assertThat(s.server("big").orElseThrow().diskCheck()).isEqualTo(ServerFigures.DiskCheck.OK);
        assertThat(s.server("small").orElseThrow().diskCheck()).isEqualTo(ServerFigures.DiskCheck.TOO_SMALL);
        assertThat(s.server("small").orElseThrow().required()).isEqualTo(1800 * GB);
        assertThat(s.notes()).isEmpty();
    }

    @Test
    void exactlyShareAndReserveIsEnoughAndASmallerShareFits() {
        servers.assign("a", Optional.of("vm"), Optional.empty());
        servers.assign("b", Optional.of("vm"), Optional.of(500 * GB));
        disks.put("a", 1800L);
        disks.put("b", 800L);
        FleetStatus s = queries(ownDisks, false).status();
        assertThat(s.overall()).isEqualTo(Health.HEALTHY);
        assertThat(s.servers()).allSatisfy(f -> assertThat(f.diskCheck()).isEqualTo(ServerFigures.DiskCheck.OK));
    }

    @Test
    void simulatedServersSharingOneDiskAreANoteAndStayHealthy() {
        servers.assign("k8s-server-1", Optional.of("k8s"), Optional.empty());
        servers.assign("vm-server-1", Optional.of("vm"), Optional.empty());
        StorageMeter oneLaptopDisk = list -> list.stream()
                .map(s -> new ServerDiskUsage(s.name(), Map.of(), 0, "laptop", 250 * GB, 100 * GB)).toList();

        FleetStatus real = queries(oneLaptopDisk, false).status();
        assertThat(real.overall()).isEqualTo(Health.WARNING);
        assertThat(real.warnings()).singleElement().asString().contains("declare 3.6 TB");

        FleetStatus demo = queries(oneLaptopDisk, true).status();
        assertThat(demo.overall()).isEqualTo(Health.HEALTHY);
        assertThat(demo.warnings()).isEmpty();
        assertThat(demo.notes()).singleElement().asString().startsWith("demo: ").contains("declare 3.6 TB");
        assertThat(demo.server("vm-server-1").orElseThrow().diskCheck()).isEqualTo(ServerFigures.DiskCheck.SHARED_TOO_SMALL);
    }

    @Test
    void aServerNotMeasuredYetIsUnknownNotAWarning() {
        servers.assign("new", Optional.of("k8s"), Optional.empty());
        FleetStatus s = queries(ownDisks, false).status();
        assertThat(s.overall()).isEqualTo(Health.HEALTHY);
        assertThat(s.server("new").orElseThrow().diskCheck()).isEqualTo(ServerFigures.DiskCheck.UNKNOWN);
        assertThat(s.server("new").orElseThrow().disk()).isEmpty();
    }
}
