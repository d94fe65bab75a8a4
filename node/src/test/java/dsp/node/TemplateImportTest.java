package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import dsp.testing.RequiredTool;

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
        RequiredTool.QEMU_IMG.require();
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

    @Test
    void aBackingFileByAnyNameIsRefused() throws Exception {
        for (String backing : List.of("nbd://127.0.0.1:10809/export", "http://169.254.169.254/latest/meta-data", "host-secret",
                "file:" + secret, "json:{\"file\":{\"driver\":\"nbd\",\"server\":{\"type\":\"inet\",\"host\":\"127.0.0.1\",\"port\":\"1\"}}}")) {
            Path image = imports.resolve("backed.qcow2");
            Files.deleteIfExists(image);
            qemuImg("qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", backing, "-F", "raw", image.toString(), "1M");
            refused("backed.qcow2", "backing file");
        }
    }

    @Test
    void anExternalDataFileThatIsNotRawIsRefusedToo() throws Exception {
        qemuImg("qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=" + dir.resolve("data.bin"),
                imports.resolve("split.qcow2").toString(), "1M");
        refused("split.qcow2", "external data file");
    }

    @Test
    void imagesOfOtherFormatsOrEncryptedAreRefused() throws Exception {
        // a vmdk whose extent is a host file: qemu would read that file as the disk
        Files.writeString(imports.resolve("extent.vmdk"), "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n"
                + "createType=\"monolithicFlat\"\nRW 2 FLAT \"" + secret + "\" 0\nddb.adapterType = \"ide\"\n");
        refused("extent.vmdk", "templates must be qcow2 or raw");
        // qcow2's built-in AES: LUKS would do as well, but making one times PBKDF2 on the CPU, which fails
        // on a loaded machine ("Unable to get accurate CPU usage"); the refusal is about any encryption
        qemuImg("qemu-img", "create", "-q", "--object", "secret,id=sec0,data=passphrase", "-f", "qcow2",
                "-o", "encrypt.format=aes,encrypt.key-secret=sec0", imports.resolve("locked.qcow2").toString(), "1M");
        refused("locked.qcow2", "encryption");
    }

    @Test
    void anImageQemuImgCannotOpenIsABadRequestNamingNoHostPath() throws Exception {
        Path image = imports.resolve("crafted.qcow2");
        qemuImg("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), "1M");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.WRITE)) {
            // qcow2 v3 header: incompatible_features at byte 72; the top bit is a feature no qemu knows
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) 0x80, 0, 0, 0, 0, 0, 0, 0}), 72);
        }
        assertThatThrownBy(() -> library.importTemplate("evil", "crafted.qcow2"))
                .isInstanceOf(DomainException.class)
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(DomainException.Code.INVALID))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(dir.toString()).contains("crafted.qcow2"));
        assertThat(library.listTemplates()).isEmpty();
        assertThat(dir.resolve("templates")).isEmptyDirectory();
    }

    @Test
    void theFileIsNeverOpenedThroughALinkEvenIfItBecameOneAfterTheCheck() throws Exception {
        Files.createSymbolicLink(imports.resolve("swapped.qcow2"), secret);
        assertThatThrownBy(() -> Files2.copyCounting(imports.resolve("swapped.qcow2"), dir.resolve("copy"), n -> { }))
                .isInstanceOf(java.io.IOException.class);
        assertThat(dir.resolve("copy")).doesNotExist();
    }

    @Test
    void whatQemuImgInfoSaysIsCheckedInFullAndUnknownOptionsAreRefused() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        String plain = "{\"virtual-size\": 1048576, \"filename\": \"/p/a.qcow2\", \"format\": \"qcow2\", \"actual-size\": 1,"
                + " \"format-specific\": {\"type\": \"qcow2\", \"data\": {\"compat\": \"1.1\", \"corrupt\": false,"
                + " \"data-file-raw\": false}}, \"dirty-flag\": false, \"children\": [{\"name\": \"file\", \"info\": {\"filename\": \"/p/a.qcow2\"}}]}";
        assertThat(ImageRules.references(json.readTree(plain))).isEmpty();
        for (String[] spoiled : new String[][] {
                {"\"compat\": \"1.1\"", "\"compat\": \"1.1\", \"some-future-option\": \"x\""},
                {"\"corrupt\": false", "\"corrupt\": true"},
                {"\"filename\": \"/p/a.qcow2\"", "\"filename\": \"json:{\\\"driver\\\":\\\"nbd\\\"}\""},
                {"\"filename\": \"/p/a.qcow2\"}", "\"filename\": \"nbd://10.0.0.1/x\"}"},
                {"\"name\": \"file\"", "\"name\": \"data-file\""},
                {"\"dirty-flag\": false", "\"dirty-flag\": false, \"external-thing\": \"/etc/passwd\""},
                {"\"dirty-flag\": false", "\"dirty-flag\": false, \"backing-filename\": \"b\""},
                {"\"type\": \"qcow2\"", "\"type\": \"vmdk\""}}) {
            assertThat(plain).contains(spoiled[0]);
            JsonNode info = json.readTree(plain.replace(spoiled[0], spoiled[1]));
            assertThat(ImageRules.references(info)).as(spoiled[1]).isNotEmpty();
        }
    }
}
