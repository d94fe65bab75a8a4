package dsp.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class RequiredToolTest {

    @TempDir
    Path dir;

    private final RequiredTool tool = new RequiredTool("frobnicate", "apt-get install frob");

    @Test
    void foundOnThePathItIsUsedWhereverItRuns() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path exe = Files.createFile(bin.resolve("frobnicate"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        String path = dir.resolve("empty") + File.pathSeparator + bin;
        assertThat(tool.require(path, true, dir.resolve("skips.txt"))).isEqualTo(exe);
        assertThat(tool.require(path, false, dir.resolve("skips.txt"))).isEqualTo(exe);
        assertThat(dir.resolve("skips.txt")).doesNotExist();
    }

    @Test
    void aFileThatIsNotExecutableDoesNotCount() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.createFile(bin.resolve("frobnicate"));
        assertThat(tool.find(bin.toString())).isEmpty();
    }

    @Test
    void missingInCiTheTestFailsAndSaysHowToInstall() {
        assertThatThrownBy(() -> tool.require(dir.toString(), true, dir.resolve("skips.txt")))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("frobnicate is required in CI")
                .hasMessageContaining("apt-get install frob");
        assertThat(dir.resolve("skips.txt")).doesNotExist();
    }

    @Test
    void missingLocallyTheTestIsSkippedWithOneLineSayingWhatAndHow() throws Exception {
        assertThatThrownBy(() -> tool.require(dir.toString(), false, dir.resolve("skips.txt")))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("frobnicate is not installed");
        assertThat(Files.readAllLines(dir.resolve("skips.txt"))).singleElement().asString()
                .startsWith("SKIPPED RequiredToolTest.")
                .contains("frobnicate is not installed; install it with: apt-get install frob");
    }
}
