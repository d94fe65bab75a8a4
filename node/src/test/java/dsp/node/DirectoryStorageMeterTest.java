package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import dsp.core.model.PoolCatalog;
import dsp.core.model.Server;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryStorageMeterTest {

    @TempDir
    Path dir;

    private final PoolCatalog catalog = PoolCatalog.guideDefaults();

    @Test
    void measuresPoolDirectoriesAndTheRestSeparately() throws Exception {
        ServerRoots roots = new ServerRoots(dir);
        Path root = roots.prepare("k8s-1", catalog.pools());
        Files.write(root.resolve("k8s-storage-pool").resolve("data.bin"), new byte[3 * 1024 * 1024]);
        Files.write(root.resolve("vm-storage-pool").resolve("disk.img"), new byte[1024 * 1024]);
        Files.createDirectories(root.resolve("var-log"));
        Files.write(root.resolve("var-log").resolve("syslog"), new byte[2 * 1024 * 1024]);

        DirectoryStorageMeter meter = new DirectoryStorageMeter(roots, catalog, java.time.Clock.systemUTC());
        ServerDiskUsage u = meter.measure(List.of(server("k8s-1"))).get(0);

        assertThat(u.poolBytes().get("k8s")).isBetween(3L * 1024 * 1024, 4L * 1024 * 1024);
        assertThat(u.poolBytes().get("vm")).isBetween(1L * 1024 * 1024, 2L * 1024 * 1024);
        assertThat(u.otherBytes()).isBetween(2L * 1024 * 1024, 3L * 1024 * 1024);
        assertThat(u.filesystemBytes()).isPositive();
        assertThat(u.filesystemId()).isNotBlank();
    }

    @Test
    void sparseFilesCountOnlyWhatIsWritten() throws Exception {
        ServerRoots roots = new ServerRoots(dir);
        Path root = roots.prepare("vm-1", catalog.pools());
        try (var raf = new java.io.RandomAccessFile(root.resolve("vm-storage-pool/sparse.img").toFile(), "rw")) {
            raf.setLength(10L * 1024 * 1024 * 1024);
        }
        DirectoryStorageMeter meter = new DirectoryStorageMeter(roots, catalog, java.time.Clock.systemUTC());
        assertThat(meter.measureNow("vm-1").poolBytes().get("vm")).isLessThan(1024L * 1024);
    }

    @Test
    void aMissingServerDirectoryMeasuresAsEmpty() {
        DirectoryStorageMeter meter = new DirectoryStorageMeter(new ServerRoots(dir), catalog, java.time.Clock.systemUTC());
        ServerDiskUsage u = meter.measureNow("ghost");
        assertThat(u.pooledBytes()).isZero();
        assertThat(u.otherBytes()).isZero();
    }

    @Test
    void oneBatchMeasuresEachServerOnItsOwn() throws Exception {
        ServerRoots roots = new ServerRoots(dir);
        for (int i = 1; i <= 5; i++) {
            Path root = roots.prepare("k8s-" + i, catalog.pools());
            Files.write(root.resolve("k8s-storage-pool").resolve("data.bin"), new byte[i * 1024 * 1024]);
            Files.write(root.resolve("vm-storage-pool").resolve("disk.img"), new byte[(6 - i) * 1024 * 1024]);
            Files.createDirectories(root.resolve("vm-storage-pool/vol-a"));
            Files.write(root.resolve("vm-storage-pool/vol-a/data"), new byte[i * 512 * 1024]);
        }
        DirectoryStorageMeter meter = new DirectoryStorageMeter(roots, catalog, java.time.Clock.systemUTC());
        List<Server> servers = List.of(server("k8s-1"), server("k8s-2"), server("ghost"), server("k8s-3"), server("k8s-4"), server("k8s-5"));

        List<ServerDiskUsage> batch = meter.measure(servers);

        assertThat(batch).extracting(ServerDiskUsage::server).containsExactly("k8s-1", "k8s-2", "ghost", "k8s-3", "k8s-4", "k8s-5");
        for (ServerDiskUsage u : batch) {
            if (!u.server().equals("ghost")) {
                // the same figures as measuring the server alone
                assertThat(u.poolBytes()).as(u.server()).isEqualTo(meter.measureNow(u.server()).poolBytes());
                assertThat(u.volumeBytes()).as(u.server()).isEqualTo(meter.measureNow(u.server()).volumeBytes())
                        .containsOnlyKeys("vm/vol-a");
                int i = Integer.parseInt(u.server().substring(4));
                assertThat(u.poolBytes().get("k8s")).isBetween(i * 1024L * 1024, (i + 1) * 1024L * 1024);
            }
        }
        assertThat(batch.get(2).pooledBytes()).isZero();
    }

    @Test
    void serverNamesCannotEscapeTheBase() {
        ServerRoots roots = new ServerRoots(dir);
        assertThatThrownBy(() -> roots.rootOf("../etc")).isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> roots.rootOf("a/b")).isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> roots.rootOf("..")).isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> roots.rootOf("a..b")).isInstanceOf(DomainException.class);
        // a node's FQDN is one directory right under the base
        assertThat(roots.rootOf("ip-10-0-0-1.ec2.internal")).isEqualTo(dir.toAbsolutePath().normalize().resolve("ip-10-0-0-1.ec2.internal"));
    }

    private static Server server(String name) {
        return new Server(name, Optional.of("k8s"), Optional.empty(), Instant.EPOCH);
    }
}
