package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.operation.Operations;
import dsp.core.vm.Template;
import dsp.testing.RequiredTool;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's long work says how far it got while it runs, not only at the end: a multi-GB
 * template import and its compression (qemu-img's own progress), and the first copy of a template
 * to a server (bytes copied). One 3 GB image (thin: 96 MB of data spread over it) serves all three.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LongOperationProgressTest {

    private static final long VIRTUAL = 3L << 30;

    @TempDir
    static Path dir;

    private final QemuImg qemu = QemuImg.onPath();
    private final PoolCatalog catalog = PoolCatalog.guideDefaults();
    private FileTemplateLibrary library;
    private LocalVolumeMaker maker;

    /** Every progress call, in order. */
    private record Step(long done, long total, String step) {
    }

    private static final class Recorder implements Operations.Progress {
        final List<Step> steps = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void progress(long done, long total, String step) {
            steps.add(new Step(done, total, step));
        }

        /** The distinct amounts reported strictly between nothing and all of it. */
        List<Long> between(String stepStartingWith) {
            return steps.stream().filter(s -> s.step().startsWith(stepStartingWith) && s.done() > 0 && s.done() < s.total())
                    .map(Step::done).distinct().toList();
        }
    }

    @BeforeAll
    void anImportedThreeGigabyteImage() throws Exception {
        RequiredTool.QEMU_IMG.require();
        Path imports = Files.createDirectories(dir.resolve("imports"));
        Path raw = dir.resolve("big.raw");
        byte[] block = new byte[1 << 20];
        Random random = new Random(12);
        try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(VIRTUAL);
            for (long at = 0; at < VIRTUAL; at += 32L << 20) {
                random.nextBytes(block);
                f.seek(at);
                f.write(block);
            }
        }
        qemu.convert(raw, "raw", imports.resolve("big.qcow2"), "qcow2", false);
        Files.delete(raw);
        ServerRoots roots = new ServerRoots(dir.resolve("servers"));
        library = new FileTemplateLibrary(dir.resolve("templates"), qemu, roots, catalog, Optional.of(imports));
        maker = new LocalVolumeMaker(roots, catalog, library, qemu);
    }

    @Test
    void aMultiGigabyteImportReportsProgressWhileQemuImgConverts() throws Exception {
        Recorder progress = new Recorder();
        Template big = library.importTemplate("big", "big.qcow2", progress);
        assertThat(big.virtualBytes()).isEqualTo(VIRTUAL);
        assertThat(progress.between("converting big.qcow2")).as(progress.steps.toString()).hasSizeGreaterThan(10);
        assertThat(progress.steps.stream().filter(s -> s.step().startsWith("converting")))
                .as("the conversion never goes backwards, out of the image's size")
                .allSatisfy(s -> assertThat(s.total()).isEqualTo(VIRTUAL))
                .extracting(Step::done).isSorted().endsWith(VIRTUAL);
        long file = Files.size(dir.resolve("imports").resolve("big.qcow2"));
        assertThat(progress.steps.stream().filter(s -> s.step().startsWith("copying")))
                .as("the private copy first, out of the file's size")
                .allSatisfy(s -> assertThat(s.total()).isEqualTo(file))
                .extracting(Step::done).isSorted().startsWith(0L).endsWith(file);
        assertThat(progress.steps.get(progress.steps.size() - 1).step()).isEqualTo("imported big.qcow2");
    }

    @Test
    void compressingATemplateReportsBothTheCompressionAndTheVerification() {
        if (library.findTemplate("big").isEmpty()) {
            library.importTemplate("big", "big.qcow2");
        }
        Recorder progress = new Recorder();
        library.optimizeTemplate("big", progress);
        assertThat(progress.between("compressing")).as(progress.steps.toString()).hasSizeGreaterThan(5);
        assertThat(progress.between("verifying")).as(progress.steps.toString()).hasSizeGreaterThan(5);
    }

    @Test
    void theFirstDiskFromATemplateOnAServerReportsTheCopyAndTheNextOneHasNoneToMake() throws Exception {
        if (library.findTemplate("big").isEmpty()) {
            library.importTemplate("big", "big.qcow2");
        }
        Template big = library.findTemplate("big").orElseThrow();
        long file = Files.size(library.fileOf(big));
        Recorder first = new Recorder();
        maker.make(disk("web"), Optional.of(big), first);
        assertThat(first.steps).as("bytes of the template's file, from none to all").isNotEmpty()
                .allSatisfy(s -> {
                    assertThat(s.total()).isEqualTo(file);
                    assertThat(s.step()).isEqualTo("copying template big to vm-server-1 (first disk from it there)");
                })
                .extracting(Step::done).isSorted().startsWith(0L).endsWith(file);
        assertThat(first.between("copying")).as("a 64 MB step at least").isNotEmpty();

        Recorder second = new Recorder();
        maker.make(disk("db"), Optional.of(big), second);
        assertThat(second.steps).as("the server holds its copy already").isEmpty();
    }

    private static Allocation disk(String name) {
        return new Allocation("id-" + name, name, "vm", "vm-server-1", 10L << 30, "vm-disk", Instant.EPOCH, VolumeFormat.QCOW2,
                Optional.of("big"), Optional.of(name), VolumePhase.PENDING);
    }
}
