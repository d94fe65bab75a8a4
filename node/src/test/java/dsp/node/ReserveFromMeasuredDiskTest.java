package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dsp.core.Fleet;
import dsp.core.health.ReserveFigures;
import dsp.core.model.PlacementPolicy;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.ReclaimPolicy;
import dsp.core.model.Thresholds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guide's system_reserve figures (5 servers: used 200 / available 1300 / 13.33 %) measured on a
 * real disk: what each server holds outside its pool directories, as du counts it. The guide's GB
 * become MiB here so the test writes 200 MiB, not 200 GB.
 */
class ReserveFromMeasuredDiskTest {

    private static final long UNIT = 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void reserveUsedIsWhatTheServersHoldOutsideTheirPools() throws Exception {
        PoolCatalog catalog = new PoolCatalog(List.of(
                new PoolDefinition("k8s", "k8s", 1500 * UNIT, "k8s-pool-storage", "/k8s-storage-pool", ReclaimPolicy.DELETE, 1.0),
                new PoolDefinition("vm", "vm", 1500 * UNIT, "vm-pool-storage", "/vm-storage-pool", ReclaimPolicy.RETAIN, 1.0)),
                300 * UNIT, Thresholds.GUIDE, PlacementPolicy.LEAST_ALLOCATED);
        ServerRoots roots = new ServerRoots(dir);
        Fleet fleet = new Fleet(catalog, new DirectoryStorageMeter(roots, catalog, Clock.systemUTC()));
        List<String> k8s = List.of("k8s-1", "k8s-2", "k8s-3");
        List<String> vm = List.of("vm-1", "vm-2");
        byte[] block = new byte[(int) UNIT];
        java.util.Arrays.fill(block, (byte) 7); // real data: no sparse or zero-page tricks
        for (String s : concat(k8s, vm)) {
            Path root = roots.prepare(s, catalog.pools());
            Files.createDirectories(root.resolve("var/log"));
            try (var out = Files.newOutputStream(root.resolve("var/log/syslog"))) {
                for (int i = 0; i < 40; i++) {
                    out.write(block); // 40 per server outside the pools: 200 in all
                }
            }
            Files.write(root.resolve(k8s.contains(s) ? "k8s-storage-pool" : "vm-storage-pool").resolve("data.bin"), block);
            fleet.label(s, k8s.contains(s) ? "k8s" : "vm");
        }

        fleet.measure(); // one pass of the background survey
        ReserveFigures reserve = fleet.queries.status().reserve();
        assertThat(reserve.servers()).isEqualTo(5);
        assertThat(reserve.capacity()).isEqualTo(1500 * UNIT);
        // du also counts the directories themselves: a few KiB per server
        assertThat(reserve.used()).isBetween(200 * UNIT, 200 * UNIT + 256 * 1024);
        assertThat(reserve.available()).isEqualTo(reserve.capacity() - reserve.used());
        assertThat(reserve.usagePercent()).isCloseTo(13.33, within(0.02));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
