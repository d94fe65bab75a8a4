package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.memory.InMemoryServerInventory;
import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.Server;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.port.ServerInventory;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import dsp.testing.RequiredTool;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's parts as the node agent and the standalone server put them together: a node's engine on
 * its own root, raw disks handed to QEMU's user, the pool directories measured, and an inventory whose
 * servers have directories that an inventory change never deletes.
 */
class NodeAssemblyTest {

    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    private final PoolCatalog catalog = PoolCatalog.guideDefaults();

    private static Allocation raw(String name, String server, long size) {
        return new Allocation("id-" + name, name, "vm", server, size, "vm-disk", Instant.EPOCH, VolumeFormat.RAW,
                Optional.empty(), Optional.of(name), VolumePhase.PENDING);
    }

    private static int uid(Path file, String attribute) throws Exception {
        return (Integer) Files.getAttribute(file, "unix:" + attribute, LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void aNodeMakesItsPoolsOnItsOwnRootAndBuildsEachPartOnce() throws Exception {
        RequiredTool.QEMU_IMG.require();
        Path root = dir.resolve("node-root");
        LocalNode node = new LocalNode("node-1", root, catalog, "vm", QemuImg.onPath(), Clock.systemUTC());
        assertThat(root).doesNotExist();

        assertThat(node.prepare()).isSameAs(node);

        assertThat(root.resolve("k8s-storage-pool")).isDirectory();
        assertThat(root.resolve("vm-storage-pool").resolve(LocalVolumeMaker.TEMPLATES)).isDirectory();
        assertThat(node.templates()).isSameAs(node.templates());
        assertThat(node.maker()).isSameAs(node.maker()).isInstanceOf(QemuOwnedRawDisks.class);
        assertThat(node.copier()).isSameAs(node.copier());
        assertThat(node.cleaner()).isNotNull();
        assertThat(node.meter().measure("node-1").poolBytes()).containsOnlyKeys("k8s", "vm");
    }

    @Test
    void aNodesRawDisksBelongToQemusUserAndEverythingElseToTheEngine() throws Exception {
        RequiredTool.QEMU_IMG.require();
        LocalNode node = new LocalNode("node-1", dir.resolve("node-root"), catalog, "vm", QemuImg.onPath(), Clock.systemUTC())
                .prepare();
        Allocation a = raw("web", "node-1", GIB);

        Path disk = Path.of(node.maker().make(a, Optional.empty()));

        assertThat(disk).endsWith(Path.of("web", "disk.img"));
        assertThat(uid(disk, "uid")).isEqualTo(QemuOwnedRawDisks.QEMU_UID);
        assertThat(uid(disk, "gid")).isEqualTo(QemuOwnedRawDisks.QEMU_UID);
        assertThat(node.maker().exists(a)).isTrue();
        assertThat(node.maker().pathOf(a)).isEqualTo(disk.toString());
        assertThat(node.maker().presentedBytes(a)).isEqualTo(GIB);
        assertThat(node.maker().measuredBytes(a)).isLessThan(GIB / 8);

        // a grow gives the disk to QEMU again (a resize by root may leave it root's)
        Files.setAttribute(disk, "unix:uid", 0, LinkOption.NOFOLLOW_LINKS);
        node.maker().grow(a, 2 * GIB);
        assertThat(node.maker().presentedBytes(a)).isEqualTo(2 * GIB);
        assertThat(uid(disk, "uid")).isEqualTo(QemuOwnedRawDisks.QEMU_UID);

        Files.createDirectories(disk.getParent().getParent().resolve(".tmp-left-over"));
        assertThat(node.maker().sweepTemporaries()).isEqualTo(1);
        node.maker().delete(a);
        assertThat(node.maker().exists(a)).isFalse();
    }

    @Test
    void aDirectoryVolumeIsNotHandedToQemu() throws Exception {
        RequiredTool.QEMU_IMG.require();
        LocalNode node = new LocalNode("node-1", dir.resolve("node-root"), catalog, "vm", QemuImg.onPath(), Clock.systemUTC())
                .prepare();
        Allocation a = new Allocation("id-data", "data", "k8s", "node-1", GIB, "volume", Instant.EPOCH,
                VolumeFormat.DIRECTORY, Optional.empty(), Optional.empty(), VolumePhase.PENDING);

        Path path = Path.of(node.maker().make(a, Optional.empty()));

        assertThat(uid(path, "uid")).isEqualTo(uid(dir, "uid"));
    }

    @Test
    void theMeterCountsEachPoolDirectoryAndTheRestOfItsFileSystem() throws Exception {
        ServerRoots roots = new ServerRoots(dir.resolve("servers"));
        Path root = roots.prepare("k8s-1", catalog.pools());
        Files.write(root.resolve("k8s-storage-pool").resolve("data.bin"), new byte[3 << 20]);
        Files.write(root.resolve("vm-storage-pool").resolve("disk.img"), new byte[1 << 20]);
        // a directory volume and a qcow2 volume (a file): the agent reports each one's bytes from this measurement
        Files.write(Files.createDirectory(root.resolve("k8s-storage-pool").resolve("app-data")).resolve("f"), new byte[1 << 20]);
        Files.write(root.resolve("vm-storage-pool").resolve("web-disk.qcow2"), new byte[2 << 20]);
        PoolDirectoryMeter meter = new PoolDirectoryMeter(roots, catalog);

        ServerDiskUsage u = meter.measure(List.of(new Server("k8s-1", Optional.of("k8s"), Optional.empty(), Instant.EPOCH))).get(0);
        assertThat(u.volumeBytes()).containsOnlyKeys(ServerDiskUsage.volumeKey("k8s", "app-data"), ServerDiskUsage.volumeKey("vm", "web-disk"));
        assertThat(u.volumeBytes().get(ServerDiskUsage.volumeKey("k8s", "app-data"))).isBetween(1L << 20, (1L << 20) + 65536);
        assertThat(u.volumeBytes().get(ServerDiskUsage.volumeKey("vm", "web-disk"))).isEqualTo(2L << 20);

        assertThat(u.server()).isEqualTo("k8s-1");
        assertThat(u.poolBytes().get("k8s")).isBetween(4L << 20, (4L << 20) + 65536);
        assertThat(u.poolBytes().get("vm")).isBetween(3L << 20, (3L << 20) + 65536);
        assertThat(u.pooledBytes()).isEqualTo(u.poolBytes().get("k8s") + u.poolBytes().get("vm"));
        var store = Files.getFileStore(root);
        assertThat(u.filesystemBytes()).isEqualTo(store.getTotalSpace());
        // the rest of the file system's used space: what is used, less what the pools hold
        assertThat(u.otherBytes()).isEqualTo(u.filesystemBytes() - u.filesystemFreeBytes() - u.pooledBytes());
        long used = store.getTotalSpace() - store.getUsableSpace(); // a moment later, on a shared machine
        assertThat(u.otherBytes()).isBetween(used - u.pooledBytes() - (256L << 20), used - u.pooledBytes() + (256L << 20));
        assertThat(u.filesystemId()).isEqualTo("node:k8s-1");

        ServerDiskUsage missing = meter.measure("vm-9");
        assertThat(missing.poolBytes()).containsEntry("k8s", 0L).containsEntry("vm", 0L);
        assertThat(missing.filesystemBytes()).isZero();
        assertThat(missing.otherBytes()).isZero();
        assertThat(missing.filesystemId()).isEqualTo("unknown");
    }

    @Test
    void savingAServerMakesItsDirectoriesAndForgettingItKeepsThem() {
        ServerRoots roots = new ServerRoots(dir.resolve("servers"));
        InMemoryServerInventory records = new InMemoryServerInventory();
        DirectoryBackedInventory inventory = new DirectoryBackedInventory(records, roots, catalog);
        Server s = new Server("vm-1", Optional.of("vm"), Optional.empty(), Instant.EPOCH);

        inventory.saveServer(s);

        assertThat(roots.poolRoot("vm-1", catalog.require("vm"))).isDirectory();
        assertThat(roots.poolRoot("vm-1", catalog.require("k8s"))).isDirectory();
        assertThat(inventory.listServers()).containsExactly(s);
        assertThat(inventory.findServer("vm-1")).contains(s);
        inventory.deleteServer("vm-1");
        assertThat(inventory.findServer("vm-1")).isEmpty();
        assertThat(records.listServers()).isEmpty();
        assertThat(roots.rootOf("vm-1")).isDirectory();
    }

    @Test
    void aRecordThatFailsTakesBackOnlyTheEmptyDirectoriesTheSaveMade() throws Exception {
        ServerRoots roots = new ServerRoots(dir.resolve("servers"));
        InMemoryServerInventory kept = new InMemoryServerInventory();
        ServerInventory records = new ServerInventory() {
            @Override
            public List<Server> listServers() {
                return kept.listServers();
            }

            @Override
            public Optional<Server> findServer(String name) {
                return kept.findServer(name);
            }

            @Override
            public void saveServer(Server server) {
                throw new IllegalStateException("the store is down");
            }

            @Override
            public void deleteServer(String name) {
                kept.deleteServer(name);
            }
        };
        DirectoryBackedInventory inventory = new DirectoryBackedInventory(records, roots, catalog);
        Server fresh = new Server("k8s-7", Optional.of("k8s"), Optional.empty(), Instant.EPOCH);

        assertThatThrownBy(() -> inventory.saveServer(fresh)).hasMessage("the store is down");
        assertThat(roots.rootOf("k8s-7")).doesNotExist();

        // a server whose directory was there before keeps it, and what is in it
        Path root = roots.prepare("k8s-8", List.of());
        Files.writeString(root.resolve("note"), "kept");
        Server existing = new Server("k8s-8", Optional.of("k8s"), Optional.empty(), Instant.EPOCH);
        assertThatThrownBy(() -> inventory.saveServer(existing)).hasMessage("the store is down");
        assertThat(root.resolve("note")).hasContent("kept");
        assertThat(roots.poolRoot("k8s-8", catalog.require("k8s"))).isDirectory();
    }
}
