package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.DomainException;
import dsp.core.model.PoolCatalog;
import dsp.core.vm.Template;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Imported templates are self-contained: nothing in an image may make the server read a file outside it. */
class TemplateImportTest {

    @TempDir
    Path dir;

    private final QemuImg qemu = QemuImg.onPath();
    private FileTemplateLibrary library;
    private Path imports;
    private Path secret;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(qemu.available(), "qemu-img is required (make test installs qemu-utils)");
        imports = Files.createDirectories(dir.resolve("imports"));
        library = new FileTemplateLibrary(dir.resolve("templates"), qemu, new ServerRoots(dir.resolve("servers")),
                PoolCatalog.guideDefaults(), Optional.of(imports));
        secret = dir.resolve("host-secret");
        Files.writeString(secret, "root:$6$the-host's-password-hash");
    }

    private void qemuImg(String... args) throws Exception {
        Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }

    private void refused(String file, String why) {
        assertThatThrownBy(() -> library.importTemplate("evil", file))
                .isInstanceOf(DomainException.class).hasMessageContaining(why)
                .extracting(e -> ((DomainException) e).code()).isEqualTo(DomainException.Code.INVALID);
        assertThat(library.listTemplates()).isEmpty();
        assertThat(dir.resolve("templates")).isEmptyDirectory();
    }

    @Test
    void aQcow2WithAnExternalDataFileIsRefused() throws Exception {
        qemuImg("qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=" + secret + ",data_file_raw=on",
                imports.resolve("evil.qcow2").toString(), "1M");
        refused("evil.qcow2", "external data file");
    }

    @Test
    void aQcow2WithABackingFileIsRefused() throws Exception {
        qemuImg("qemu-img", "create", "-q", "-f", "raw", dir.resolve("base.raw").toString(), "1M");
        qemuImg("qemu-img", "create", "-q", "-f", "qcow2", "-b", dir.resolve("base.raw").toString(), "-F", "raw",
                imports.resolve("overlay.qcow2").toString(), "1M");
        refused("overlay.qcow2", "backing file");
        // a json: pseudo-file as the backing file is a backing file too
        qemuImg("qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b",
                "json:{\"driver\":\"raw\",\"file\":{\"driver\":\"file\",\"filename\":\"" + secret + "\"}}", "-F", "raw",
                imports.resolve("json.qcow2").toString(), "1M");
        refused("json.qcow2", "backing file");
    }

    @Test
    void onlyRegularFilesDirectlyInTheImportDirectoryAreOpened() throws Exception {
        Files.createSymbolicLink(imports.resolve("link.qcow2"), secret);
        Files.createDirectories(imports.resolve("sub"));
        for (String source : List.of("link.qcow2", secret.toString(), "../host-secret", "sub", imports.resolve("sub/../../host-secret").toString(),
                "", "nope.qcow2")) {
            refused(source, "import directory");
        }
    }

    @Test
    void anImportIsASelfContainedCopyThatReadsTheSame() throws Exception {
        Path source = imports.resolve("cloud.qcow2");
        qemuImg("qemu-img", "create", "-q", "-f", "qcow2", source.toString(), "64M");
        qemuImg("qemu-io", "-c", "write -P 0x5a 1M 2M", source.toString());
        Template t = library.importTemplate("cloud", "cloud.qcow2");
        assertThat(t.virtualBytes()).isEqualTo(64L * 1024 * 1024);
        Path copy = library.fileOf(t);
        JsonNode info = qemu.info(copy, "qcow2", false);
        assertThat(ImageRules.references(info)).isEmpty();
        assertThat(qemu.sameContent(source, "qcow2", copy, "qcow2")).isTrue();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("r--r--r--");
        assertThat(library.importTemplate("plain", imports.resolve("cloud.qcow2").toString()).name()).isEqualTo("plain");
    }
}
