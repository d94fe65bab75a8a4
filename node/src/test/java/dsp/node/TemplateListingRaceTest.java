package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import dsp.core.model.PoolCatalog;
import dsp.core.vm.Template;
import dsp.testing.RequiredTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A template deleted while the library lists it (between seeing its file and {@code qemu-img info})
 * is left out of the answer; it does not turn the listing into an error. The delete is made to land
 * exactly in that window by a qemu-img wrapper that removes the image it is asked about.
 */
class TemplateListingRaceTest {

    @TempDir
    Path dir;

    private Path templates;
    private FileTemplateLibrary library;

    @BeforeEach
    void setUp() throws Exception {
        RequiredTool.QEMU_IMG.require();
        templates = Files.createDirectories(dir.resolve("templates"));
        Path wrapper = dir.resolve("qemu-img-deleting");
        Files.writeString(wrapper, """
                #!/bin/sh
                # 'info' on gone.qcow2: the image is deleted just before qemu-img reads it.
                # 'info' on broken.qcow2: fails while the image is still there.
                for a in "$@"; do last="$a"; done
                if [ "$1" = info ]; then
                  case "$last" in
                    */gone.qcow2) rm -f "$last" ;;
                    */broken.qcow2) echo "qemu-img: broken.qcow2: Image is not in qcow2 format" >&2; exit 1 ;;
                  esac
                fi
                exec qemu-img "$@"
                """);
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
        library = new FileTemplateLibrary(templates, new QemuImg(wrapper.toString(), Duration.ofMinutes(1)),
                new ServerRoots(dir.resolve("servers")), PoolCatalog.guideDefaults(), Optional.empty());
        qcow2("kept");
        qcow2("gone");
    }

    private void qcow2(String name) throws Exception {
        Process p = new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2",
                templates.resolve(name + ".qcow2").toString(), "1M").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }

    @Test
    void aTemplateDeletedWhileTheListIsMadeIsLeftOut() {
        assertThat(library.listTemplates()).extracting(Template::name).containsExactly("kept");
        assertThat(templates.resolve("gone.qcow2")).doesNotExist();
    }

    @Test
    void aTemplateDeletedWhileItIsLookedUpIsNotFound() {
        assertThat(library.findTemplate("gone")).isEmpty();
        assertThat(library.findTemplate("kept")).map(Template::virtualBytes).contains(1L << 20);
    }

    @Test
    void aTemplateThatCannotBeReadWhileItIsThereIsStillAnError() throws Exception {
        qcow2("broken");
        assertThatThrownBy(library::listTemplates).isInstanceOf(DomainException.class)
                .hasMessageContaining("broken.qcow2");
        assertThat(templates.resolve("broken.qcow2")).exists();
    }
}
