package dsp.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * An external program a test needs for real (no stand-in). Missing in CI ({@code CI=true}) it fails
 * the test; missing on a developer's machine it skips the test with one line saying what was skipped
 * and how to install the tool. That line goes to the test's output and to
 * {@code target/skipped-tools.txt}, which {@code make test} prints at the end.
 */
public record RequiredTool(String command, String install) {

    public static final RequiredTool QEMU_IMG = new RequiredTool("qemu-img", "apt-get install qemu-utils (make deps does it as root)");
    public static final RequiredTool QEMU_NBD = new RequiredTool("qemu-nbd", "apt-get install qemu-utils (make deps does it as root)");
    public static final RequiredTool KUBECTL = new RequiredTool("kubectl",
            "apt-get install kubernetes-client, or a kubectl release on PATH (make deps does it as root)");
    public static final RequiredTool PROMTOOL = new RequiredTool("promtool", "apt-get install prometheus (make deps does it as root)");
    public static final RequiredTool CHROMIUM = new RequiredTool("chromium",
            "apt-get install chromium chromium-driver (make deps does it as root)");

    /** Where the file listing this run's skips lives, relative to the module (surefire's working directory). */
    static final Path SKIP_LOG = Path.of("target", "skipped-tools.txt");

    /** The tool's path; fails the test in CI and skips it elsewhere when the tool is not on PATH. */
    public Path require() {
        return require(System.getenv("PATH"), "true".equalsIgnoreCase(System.getenv("CI")), SKIP_LOG);
    }

    Path require(String searchPath, boolean ci, Path skipLog) {
        Optional<Path> found = find(searchPath);
        if (found.isPresent()) {
            return found.get();
        }
        String line = "SKIPPED " + caller() + ": " + command + " is not installed; install it with: " + install;
        if (ci) {
            return fail(command + " is required in CI (CI=true) but is not on PATH; install it with: " + install);
        }
        System.err.println(line);
        try {
            Files.createDirectories(skipLog.toAbsolutePath().getParent());
            Files.writeString(skipLog, line + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the line is on the test's output already
        }
        Assumptions.abort(line);
        throw new AssertionError("unreachable");
    }

    /** The first executable named {@link #command} on the given PATH. */
    public Optional<Path> find(String searchPath) {
        if (searchPath == null) {
            return Optional.empty();
        }
        return Arrays.stream(searchPath.split(File.pathSeparator)).filter(d -> !d.isBlank())
                .map(d -> Path.of(d, command)).filter(Files::isExecutable).findFirst();
    }

    /** The test that asked: the first frame outside this class, as Class.method. */
    private static String caller() {
        return StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !f.getClassName().equals(RequiredTool.class.getName()))
                .findFirst()
                .map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "." + f.getMethodName())
                .orElse("a test"));
    }
}
