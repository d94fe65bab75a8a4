package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.vm.Template;
import dsp.testing.RequiredTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node storage engine against the real qemu-img. */
class LocalVolumeMakerTest {

    private static final long GB = 1_000_000_000L;

    @TempDir
    Path dir;

    private final PoolCatalog catalog = PoolCatalog.guideDefaults();
    private final QemuImg qemu = QemuImg.onPath();
    private ServerRoots roots;
    private FileTemplateLibrary library;
    private LocalVolumeMaker maker;
    private Template ubuntu;

    @BeforeEach
    void setUp() {
        RequiredTool.QEMU_IMG.require();
        roots = new ServerRoots(dir.resolve("servers"));
        library = new FileTemplateLibrary(dir.resolve("templates"), qemu, roots, catalog, Optional.of(dir.resolve("imports")));
        maker = new LocalVolumeMaker(roots, catalog, library, qemu);
        ubuntu = library.createBlank("ubuntu22", 10 * GB);
    }

    private static Allocation disk(String name, VolumeFormat format, long size) {
        return new Allocation("id-" + name, name, "vm", "vm-1", size, "vm-disk", Instant.EPOCH, format,
                Optional.of("ubuntu22"), Optional.of(name), VolumePhase.PENDING);
    }

    @Test
    void qcow2DiskIsAnOverlayOnTheServersTemplateCopyAtTheRequestedSize() throws Exception {
        Allocation a = disk("vm-a", VolumeFormat.QCOW2, 50 * GB);
        String path = maker.make(a, Optional.of(ubuntu));
        assertThat(path).endsWith("servers/vm-1/vm-storage-pool/vm-a.qcow2");
        JsonNode info = qemu.info(Path.of(path), true);
        assertThat(info.path("format").asText()).isEqualTo("qcow2");
        assertThat(info.path("virtual-size").asLong()).isEqualTo(50 * GB);
        Path copy = dir.resolve("servers/vm-1/vm-storage-pool/templates/ubuntu22.qcow2");
        assertThat(info.path("full-backing-filename").asText()).isEqualTo(copy.toString());
        assertThat(info.path("backing-filename-format").asText()).isEqualTo("qcow2");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("r--r--r--");
        assertThat(maker.exists(a)).isTrue();
        assertThat(maker.measuredBytes(a)).isLessThan(10L * 1024 * 1024);
        // idempotent: making it again changes nothing
        assertThat(maker.make(a, Optional.of(ubuntu))).isEqualTo(path);
    }

    @Test
    void growIsRealAndDeleteRemovesTheImage() {
        Allocation a = disk("vm-b", VolumeFormat.QCOW2, 50 * GB);
        maker.make(a, Optional.of(ubuntu));
        maker.grow(a, 100 * GB);
        assertThat(maker.presentedBytes(a)).isEqualTo(100 * GB);
        maker.delete(a);
        assertThat(maker.exists(a)).isFalse();
        maker.delete(a); // gone already is fine
        assertThat(Files.exists(dir.resolve("servers/vm-1/vm-storage-pool/templates/ubuntu22.qcow2"))).isTrue();
    }

    @Test
    void rawDiskForKubeVirtIsASparseDiskImg() {
        Allocation a = disk("vm-raw", VolumeFormat.RAW, 20 * GB);
        String path = maker.make(a, Optional.of(ubuntu));
        assertThat(path).endsWith("vm-storage-pool/vm-raw/disk.img");
        JsonNode info = qemu.info(Path.of(path), true);
        assertThat(info.path("format").asText()).isEqualTo("raw");
        assertThat(info.path("virtual-size").asLong()).isEqualTo(20 * GB);
        assertThat(maker.measuredBytes(a)).isLessThan(100L * 1024 * 1024);
        maker.delete(a);
        assertThat(Files.exists(Path.of(path).getParent())).isFalse();
    }

    @Test
    void aLinkOrAHalfMadeDiskInAVolumesPlaceIsRefusedAndLeftAlone() throws Exception {
        Path pool = Files.createDirectories(dir.resolve("servers/k8s-1/k8s-storage-pool"));
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Path dangling = Files.createSymbolicLink(pool.resolve("dangling"), elsewhere.resolve("gone"));
        Path raw = Files.createDirectory(dir.resolve("servers/vm-1")).resolve("vm-storage-pool");
        Files.createDirectories(raw.resolve("half-raw"));
        Path qcow2 = Files.createSymbolicLink(raw.resolve("linked.qcow2"), elsewhere.resolve("gone.qcow2"));

        Allocation v = new Allocation("id-d", "dangling", "k8s", "k8s-1", GB, "volume", Instant.EPOCH);
        assertThatThrownBy(() -> maker.make(v, Optional.empty())).isInstanceOf(DomainException.class)
                .hasMessageContaining("'dangling' already exists in pool k8s on k8s-1 and is not this volume's data; left alone")
                .extracting(e -> ((DomainException) e).code()).isEqualTo(DomainException.Code.CONFLICT);
        assertThat(Files.isSymbolicLink(dangling)).isTrue();
        assertThat(Files.readSymbolicLink(dangling)).isEqualTo(elsewhere.resolve("gone"));
        assertThatThrownBy(() -> maker.make(disk("half-raw", VolumeFormat.RAW, GB), Optional.empty()))
                .hasMessageContaining("'half-raw' already exists");
        assertThatThrownBy(() -> maker.make(disk("linked", VolumeFormat.QCOW2, GB), Optional.empty()))
                .hasMessageContaining("'linked.qcow2' already exists");
        assertThat(Files.isSymbolicLink(qcow2)).isTrue();
        assertThat(elsewhere).isEmptyDirectory();
        try (var left = Files.list(pool)) {
            assertThat(left).containsExactly(dangling); // no half-made .tmp- entry either
        }
        try (var left = Files.list(raw)) {
            assertThat(left).containsExactlyInAnyOrder(raw.resolve("half-raw"), qcow2);
        }
    }

    @Test
    void directoryVolumes() {
        Allocation v = new Allocation("id-v", "data", "k8s", "k8s-1", 100 * GB, "volume", Instant.EPOCH);
        String path = maker.make(v, Optional.empty());
        assertThat(Path.of(path)).isDirectory().endsWith(Path.of("k8s-1", "k8s-storage-pool", "data"));
        maker.delete(v);
        assertThat(Path.of(path)).doesNotExist();
    }

    @Test
    void anImageInUseIsNeverWritten() throws Exception {
        Allocation a = disk("vm-busy", VolumeFormat.QCOW2, 50 * GB);
        Path image = Path.of(maker.make(a, Optional.of(ubuntu)));
        Path socket = dir.resolve("nbd.sock");
        // qemu-nbd holds the image's write lock the way a running VM does
        Process nbd = new ProcessBuilder(RequiredTool.QEMU_NBD.require().toString(), "-f", "qcow2", "-k", socket.toString(), image.toString())
                .redirectErrorStream(true).start();
        try {
            await("qemu-nbd serving the image").atMost(Duration.ofSeconds(10)).until(() -> Files.exists(socket) || !nbd.isAlive());
            assertThat(nbd.isAlive()).as(() -> "qemu-nbd started: " + output(nbd)).isTrue();
            assertThatThrownBy(() -> maker.grow(a, 100 * GB))
                    .isInstanceOf(DomainException.class)
                    .hasMessageContaining("in use")
                    .extracting(e -> ((DomainException) e).code()).isEqualTo(DomainException.Code.CONFLICT);
            assertThatThrownBy(() -> maker.delete(a))
                    .extracting(e -> ((DomainException) e).code()).isEqualTo(DomainException.Code.CONFLICT);
            assertThat(Files.exists(image)).isTrue();
        } finally {
            nbd.destroy();
            nbd.waitFor(5, TimeUnit.SECONDS);
        }
        assertThat(maker.presentedBytes(a)).isEqualTo(50 * GB);
    }

    private static String output(Process p) {
        try {
            return new String(p.getInputStream().readNBytes(4096));
        } catch (java.io.IOException e) {
            return e.getMessage();
        }
    }

    @Test
    void halfMadeDataIsSweptAtStartUp() throws Exception {
        Path pool = roots.prepare("vm-1", catalog.pools()).resolve("vm-storage-pool");
        Files.writeString(pool.resolve(".tmp-abc"), "half an image");
        Files.createDirectories(pool.resolve(".tmp-def-deleting/x"));
        Allocation keep = disk("vm-keep", VolumeFormat.QCOW2, 20 * GB);
        maker.make(keep, Optional.of(ubuntu));
        assertThat(maker.sweepTemporaries()).isEqualTo(2);
        assertThat(maker.exists(keep)).isTrue();
        try (var s = Files.list(pool)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("vm-keep.qcow2", "templates");
        }
    }

    @Test
    void optimizingATemplateShrinksItAndItsDisksStillReadTheSame() throws Exception {
        Files.createDirectories(dir.resolve("imports"));
        Path raw = dir.resolve("imports/base.raw");
        try (var out = Files.newOutputStream(raw)) {
            byte[] line = "the same line of a very compressible image\n".getBytes();
            for (int i = 0; i < 400_000; i++) {
                out.write(line);
            }
        }
        Path plain = dir.resolve("imports/fat.qcow2");
        qemu.convert(raw, "raw", plain, "qcow2", false);
        Template fat = library.importTemplate("fat", plain.toString());
        Allocation child = new Allocation("id-c", "child", "vm", "vm-1", 2 * GB, "vm-disk", Instant.EPOCH, VolumeFormat.QCOW2,
                Optional.of("fat"), Optional.of("child"), VolumePhase.PENDING);
        Path disk = Path.of(maker.make(child, Optional.of(fat)));
        Path before = dir.resolve("before.raw");
        qemu.convert(disk, "qcow2", before, "raw", false);

        var r = library.optimizeTemplate("fat");
        assertThat(r.bytesAfter()).isLessThan(r.bytesBefore() / 4);
        Path serverCopy = dir.resolve("servers/vm-1/vm-storage-pool/templates/fat.qcow2");
        assertThat(Files.size(serverCopy)).isEqualTo(r.bytesAfter());
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(serverCopy))).isEqualTo("r--r--r--");
        Path after = dir.resolve("after.raw");
        qemu.convert(disk, "qcow2", after, "raw", false);
        assertThat(qemu.sameContent(before, "raw", after, "raw")).as("the disk made from it reads the same").isTrue();
        assertThat(library.optimizeTemplate("fat").bytesAfter()).as("a second run gains nothing and keeps it").isEqualTo(r.bytesAfter());
    }

    @Test
    void templatesImportOnlyFlatQcow2OrRawImages() throws Exception {
        Files.createDirectories(dir.resolve("imports"));
        Path src = dir.resolve("imports/src.qcow2");
        qemu.create(src, "qcow2", 2 * GB, Optional.empty(), "qcow2");
        Path outside = dir.resolve("secret.raw");
        Files.writeString(outside, "not for you");
        assertThatThrownBy(() -> library.importTemplate("leak", outside.toString())).hasMessageContaining("in the server's import directory");
        Files.createSymbolicLink(dir.resolve("imports/link.raw"), outside);
        assertThatThrownBy(() -> library.importTemplate("leak", dir.resolve("imports/link.raw").toString()))
                .hasMessageContaining("in the server's import directory");
        Template t = library.importTemplate("debian12", src.toString());
        assertThat(t.format()).isEqualTo(VolumeFormat.QCOW2);
        assertThat(t.virtualBytes()).isEqualTo(2 * GB);
        assertThat(library.listTemplates()).extracting(Template::name).containsExactly("debian12", "ubuntu22");

        Path overlay = dir.resolve("imports/overlay.qcow2");
        qemu.create(overlay, "qcow2", 2 * GB, Optional.of(src), "qcow2");
        assertThatThrownBy(() -> library.importTemplate("layered", overlay.toString())).hasMessageContaining("backing file");
        assertThatThrownBy(() -> library.importTemplate("missing", dir.resolve("imports/nope.img").toString()))
                .hasMessageContaining("in the server's import directory");
        library.deleteTemplate("debian12");
        assertThat(library.findTemplate("debian12")).isEmpty();
    }

}
