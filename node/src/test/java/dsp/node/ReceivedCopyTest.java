package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.vm.Template;
import dsp.testing.RequiredTool;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk built from the bytes a peer sent (Kubernetes mode's moves between node agents), against the
 * real qemu-img: it must hash to what the sender computed, an overlay is pointed at this server's own
 * copy of its template, it must pass an import's checks, and on any failure nothing of it is left.
 * Put in place, it reads as the original did.
 */
class ReceivedCopyTest {

    private static final long GB = 1_000_000_000L;
    /** Small enough for the sent bytes to be held in memory: a raw disk is sent whole. */
    private static final long DISK = 256L << 20;

    @TempDir
    Path dir;

    private final PoolCatalog catalog = PoolCatalog.guideDefaults();
    private final QemuImg qemu = QemuImg.onPath();
    private LocalVolumeMaker maker;
    private LocalVolumeCopier copier;
    private Template ubuntu;

    @BeforeEach
    void setUp() {
        RequiredTool.QEMU_IMG.require();
        ServerRoots roots = new ServerRoots(dir.resolve("servers"));
        FileTemplateLibrary library = new FileTemplateLibrary(dir.resolve("templates"), qemu, roots, catalog, Optional.empty());
        maker = new LocalVolumeMaker(roots, catalog, library, qemu);
        copier = new LocalVolumeCopier(maker, qemu);
        ubuntu = library.createBlank("ubuntu22", 128L << 20);
    }

    private static Allocation disk(String id, String server, VolumeFormat format) {
        return new Allocation(id, "web", "vm", server, DISK, "vm-disk", Instant.EPOCH, format,
                format == VolumeFormat.QCOW2 ? Optional.of("ubuntu22") : Optional.empty(), Optional.of("web"), VolumePhase.PENDING);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    /** The source's image with a pattern written into it, and its bytes with their sha256 as the sender sends them. */
    private byte[] sourceBytes(Allocation source) throws Exception {
        Path image = Path.of(maker.make(source, source.template().map(t -> ubuntu)));
        String format = source.format().display();
        run("qemu-io", "-f", format, "-c", "write -P 0xab 0 1M", "-c", "write -P 0xcd 200M 64k", image.toString());
        try (InputStream in = copier.read(source)) {
            return in.readAllBytes();
        }
    }

    private void readsAsWritten(Path image, String format) throws Exception {
        String out = run("qemu-io", "-f", format, "-c", "read -P 0xab 0 1M", "-c", "read -P 0xcd 200M 64k", image.toString());
        assertThat(out).doesNotContain("Pattern verification failed");
    }

    private Path poolDir(String server) {
        return dir.resolve("servers").resolve(server).resolve("vm-storage-pool");
    }

    private void nothingLeftOn(String server) throws Exception {
        try (var entries = Files.list(poolDir(server))) {
            assertThat(entries.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".tmp-") || n.startsWith("web"));
        }
    }

    @Test
    void aReceivedOverlayIsBasedOnThisServersTemplateAndReadsAsTheOriginal() throws Exception {
        byte[] bytes = sourceBytes(disk("source", "vm-1", VolumeFormat.QCOW2));
        Allocation copy = disk("copy-1", "vm-2", VolumeFormat.QCOW2);

        copier.receive(copy, Optional.of(ubuntu), new ByteArrayInputStream(bytes), TemplateDownloader.sha256(write(bytes)).toUpperCase());
        copier.publish(copy);
        copier.publish(copy); // a retry after it was put in place is fine

        Path image = poolDir("vm-2").resolve("web.qcow2");
        readsAsWritten(image, "qcow2");
        JsonNode info = qemu.info(image, "qcow2", false);
        assertThat(info.path("full-backing-filename").asText())
                .isEqualTo(poolDir("vm-2").resolve("templates").resolve("ubuntu22.qcow2").toString());
        assertThat(poolDir("vm-2").resolve(".tmp-copy-1")).doesNotExist();
    }

    @Test
    void aReceivedRawDiskIsPutInPlaceAsItsDirectory() throws Exception {
        byte[] bytes = sourceBytes(disk("source", "vm-1", VolumeFormat.RAW));
        Allocation copy = disk("copy-2", "vm-2", VolumeFormat.RAW);

        copier.receive(copy, Optional.empty(), new ByteArrayInputStream(bytes), TemplateDownloader.sha256(write(bytes)));
        copier.publish(copy);

        readsAsWritten(poolDir("vm-2").resolve("web").resolve("disk.img"), "raw");
        assertThat(Files.size(poolDir("vm-2").resolve("web").resolve("disk.img"))).isEqualTo(DISK);
    }

    @Test
    void bytesThatDoNotHashToWhatWasSentAreRefusedAndNothingIsLeft() throws Exception {
        byte[] bytes = sourceBytes(disk("source", "vm-1", VolumeFormat.QCOW2));
        String sent = TemplateDownloader.sha256(write(bytes));
        bytes[bytes.length / 2] ^= 1;

        assertThatThrownBy(() -> copier.receive(disk("copy-3", "vm-2", VolumeFormat.QCOW2), Optional.of(ubuntu),
                new ByteArrayInputStream(bytes), sent))
                .isInstanceOfSatisfying(DomainException.class, e -> {
                    assertThat(e.code()).isEqualTo(DomainException.Code.STORAGE_FAILED);
                    assertThat(e.getMessage()).contains("sha256 differs");
                });
        nothingLeftOn("vm-2");
    }

    @Test
    void whatIsNotAnImageOfItsFormatOrFailsItsCheckIsRefusedAndNothingIsLeft() throws Exception {
        byte[] junk = "not an image at all".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> copier.receive(disk("copy-4", "vm-2", VolumeFormat.QCOW2), Optional.of(ubuntu),
                new ByteArrayInputStream(junk), TemplateDownloader.sha256(write(junk))))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(DomainException.Code.STORAGE_FAILED));
        nothingLeftOn("vm-2");

        // a qcow2 damaged after it arrived: qemu-img check finds it
        byte[] bytes = sourceBytes(disk("source", "vm-1", VolumeFormat.QCOW2));
        copier.afterCopy(image -> {
            // the first L1 table entry (the L1 table follows the header, refcount table and block, one
            // 64 KiB cluster each) pointed past the end of the file: qemu-img check reports it
            try (var ch = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) 0x80, 0, 0x7f, 0, 0, 0, 0, 0}), 0x30000);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThatThrownBy(() -> copier.receive(disk("copy-5", "vm-2", VolumeFormat.QCOW2), Optional.of(ubuntu),
                new ByteArrayInputStream(bytes), TemplateDownloader.sha256(write(bytes))))
                .isInstanceOf(DomainException.class);
        nothingLeftOn("vm-2");
    }

    @Test
    void aCopyThatIsGoneCannotBePutInPlaceAndADirectoryVolumeHasNoImageToSend() {
        assertThatThrownBy(() -> copier.publish(disk("copy-6", "vm-2", VolumeFormat.QCOW2)))
                .isInstanceOfSatisfying(DomainException.class, e -> {
                    assertThat(e.code()).isEqualTo(DomainException.Code.STORAGE_FAILED);
                    assertThat(e.getMessage()).contains("is gone");
                });
        Allocation directory = new Allocation("id-d", "data", "k8s", "k8s-1", GB, "volume", Instant.EPOCH);
        assertThatThrownBy(() -> copier.read(directory))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(DomainException.Code.INVALID));
        assertThatThrownBy(() -> copier.read(disk("missing", "vm-1", VolumeFormat.RAW)))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(DomainException.Code.STORAGE_FAILED));
    }

    private Path write(byte[] bytes) throws Exception {
        return Files.write(Files.createTempFile(dir, "sent", ".bin"), bytes);
    }
}
