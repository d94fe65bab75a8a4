package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.port.StorageCleaner.Item;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PoolCleanerTest {

    @TempDir
    Path dir;

    private final PoolCatalog catalog = PoolCatalog.guideDefaults();

    @Test
    void movesOnlyUnreferencedEntriesToTheTrashAndNeverDeletes() throws Exception {
        ServerRoots roots = new ServerRoots(dir);
        Path root = roots.prepare("s1", catalog.pools());
        Path k8s = root.resolve("k8s-storage-pool");
        Path vm = root.resolve("vm-storage-pool");
        Files.createDirectories(k8s.resolve("data"));
        Files.writeString(k8s.resolve("data/table"), "rows");
        Files.createDirectories(k8s.resolve("old-stuff"));
        Files.writeString(k8s.resolve("old-stuff/app.log"), "x".repeat(10_000));
        Files.writeString(vm.resolve("vm-1.qcow2"), "disk");
        Files.writeString(vm.resolve("leftover.qcow2"), "orphan");
        Files.createDirectories(vm.resolve("kv/"));
        Files.writeString(vm.resolve("kv/disk.img"), "raw");
        Files.createDirectories(vm.resolve("templates"));
        Files.writeString(vm.resolve("templates/ubuntu22.qcow2"), "template");
        Files.writeString(vm.resolve(".tmp-abc"), "in progress");

        List<Allocation> refs = List.of(
                new Allocation("a1", "data", "k8s", "s1", 1, "volume", Instant.EPOCH),
                new Allocation("a2", "vm-1", "vm", "s1", 1, "vm-disk", Instant.EPOCH, VolumeFormat.QCOW2, Optional.of("ubuntu22"),
                        Optional.of("vm-1"), VolumePhase.READY),
                new Allocation("a3", "kv", "vm", "s1", 1, "vm-disk", Instant.EPOCH, VolumeFormat.RAW, Optional.empty(),
                        Optional.empty(), VolumePhase.RELEASED));
        PoolCleaner cleaner = new PoolCleaner(roots, catalog, Clock.fixed(Instant.parse("2026-11-25T02:00:00Z"), ZoneOffset.UTC));

        List<Item> plan = cleaner.clean("s1", () -> refs, true);
        assertThat(plan).extracting(Item::entry).containsExactlyInAnyOrder("old-stuff", "leftover.qcow2");
        assertThat(k8s.resolve("old-stuff")).exists();

        List<Item> done = cleaner.clean("s1", () -> refs, false);
        assertThat(done).extracting(Item::entry).containsExactlyInAnyOrder("old-stuff", "leftover.qcow2");
        assertThat(k8s.resolve("old-stuff")).doesNotExist();
        assertThat(k8s.resolve(".trash/20261125T020000Z/old-stuff/app.log")).hasContent("x".repeat(10_000));
        assertThat(vm.resolve(".trash/20261125T020000Z/leftover.qcow2")).hasContent("orphan");
        assertThat(done.stream().filter(i -> i.entry().equals("old-stuff")).findFirst().orElseThrow().bytes()).isGreaterThanOrEqualTo(10_000);
        // everything referenced, the templates and work in progress stay where they are
        assertThat(k8s.resolve("data/table")).hasContent("rows");
        assertThat(vm.resolve("vm-1.qcow2")).exists();
        assertThat(vm.resolve("kv/disk.img")).exists();
        assertThat(vm.resolve("templates/ubuntu22.qcow2")).exists();
        assertThat(vm.resolve(".tmp-abc")).exists();
        assertThat(cleaner.clean("s1", () -> refs, false)).as("a second run finds nothing").isEmpty();
    }

    @Test
    void aStrandedVolumeIsStillReferenced() throws Exception {
        ServerRoots roots = new ServerRoots(dir);
        Path root = roots.prepare("moved", catalog.pools());
        Files.createDirectories(root.resolve("k8s-storage-pool/pvc-1"));
        // the server is in the vm pool now; its k8s volume is stranded but still an allocation
        List<Allocation> refs = List.of(new Allocation("a", "pvc-1", "k8s", "moved", 1, "pvc", Instant.EPOCH));
        assertThat(new PoolCleaner(roots, catalog, Clock.systemUTC()).clean("moved", () -> refs, false)).isEmpty();
        assertThat(root.resolve("k8s-storage-pool/pvc-1")).isDirectory();
    }

    @Test
    void aTrashThatIsALinkIsNeverFollowedAndNothingLeavesThePool() throws Exception {
        ServerRoots roots = new ServerRoots(dir.resolve("servers"));
        Path k8s = roots.prepare("s1", catalog.pools()).resolve("k8s-storage-pool");
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Files.createSymbolicLink(k8s.resolve(".trash"), elsewhere);
        Files.createDirectories(k8s.resolve("orphan"));
        Files.writeString(k8s.resolve("orphan/data"), "rows");

        new PoolCleaner(roots, catalog, Clock.systemUTC()).clean("s1", List::of, false);

        assertThat(elsewhere).isEmptyDirectory();
        assertThat(k8s.resolve("orphan/data")).hasContent("rows");
        assertThat(Files.isSymbolicLink(k8s.resolve(".trash"))).isTrue();
    }

    @Test
    void trashOlderThanTheRetentionIsEmptiedWithoutFollowingLinks() throws Exception {
        ServerRoots roots = new ServerRoots(dir.resolve("servers"));
        Path vm = roots.prepare("s1", catalog.pools()).resolve("vm-storage-pool");
        Path outside = Files.writeString(dir.resolve("outside-file"), "not trash");
        Path old = Files.createDirectories(vm.resolve(".trash/20261101T020000Z/old-disk"));
        Files.writeString(old.resolve("disk.img"), "x");
        Files.createSymbolicLink(vm.resolve(".trash/20261101T020000Z/link"), outside);
        Files.createDirectories(vm.resolve(".trash/20261120T020000Z/recent"));
        Files.createDirectories(vm.resolve(".trash/not-a-run"));
        Clock now = Clock.fixed(Instant.parse("2026-11-25T02:00:00Z"), ZoneOffset.UTC);

        new PoolCleaner(roots, catalog, now, java.time.Duration.ofDays(7)).clean("s1", List::of, true);
        assertThat(vm.resolve(".trash/20261101T020000Z")).as("a dry run empties nothing").exists();

        new PoolCleaner(roots, catalog, now, java.time.Duration.ofDays(7)).clean("s1", List::of, false);
        assertThat(vm.resolve(".trash/20261101T020000Z")).doesNotExist();
        assertThat(outside).hasContent("not trash");
        assertThat(vm.resolve(".trash/20261120T020000Z/recent")).isDirectory();
        assertThat(vm.resolve(".trash/not-a-run")).isDirectory();
    }
}
