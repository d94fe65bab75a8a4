package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client commands' class-data-sharing archive as a user gets it (#10, CLI start): the jar and the
 * archive the build made ({@code make build}: cli/target/poolctl.jar and poolctl.jsa), run by
 * bin/poolctl. An integration test (failsafe, after the package phase that makes both). What the
 * archive saves in time is measured by {@code make bench} (bench/standalone-scale.sh), not here.
 */
class ClientArchiveIT {

    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final Path JAR = REPO.resolve("cli/target/poolctl.jar");
    private static final Path ARCHIVE = REPO.resolve("cli/target/poolctl.jsa");
    /** The libraries and our own code: what a client command loads besides the JDK. */
    private static final List<String> APPLICATION = List.of("picocli.", "dsp.", "com.fasterxml.jackson.");

    @TempDir
    Path dir;

    private HttpServer api;

    @BeforeEach
    void startApi() throws IOException {
        api = CdsTraining.cannedApi();
    }

    @AfterEach
    void stopApi() {
        api.stop(0);
    }

    @Test
    void poolctlStatusTakesEveryClassOfItsOwnAndOfItsLibrariesFromTheArchive() throws Exception {
        assertThat(JAR).as("the jar make build makes").exists();
        assertThat(ARCHIVE).as("the archive make build makes").exists();
        assertThat(Files.getLastModifiedTime(ARCHIVE)).as("archive newer than the jar").isGreaterThan(Files.getLastModifiedTime(JAR));

        Map<String, String> sources = status(Map.of());

        // one static archive: the JDK's classes and ours (a dynamic archive's classes would say "(top)")
        assertThat(sources).containsEntry("picocli.CommandLine", "shared objects file")
                .containsEntry("dsp.cli.StatusCommand", "shared objects file")
                .containsEntry("com.fasterxml.jackson.core.JsonFactory", "shared objects file")
                .containsEntry("java.net.HttpURLConnection", "shared objects file");
        Map<String, String> application = new HashMap<>(sources);
        application.keySet().removeIf(c -> APPLICATION.stream().noneMatch(c::startsWith));
        assertThat(application).hasSizeGreaterThan(200); // ~300: picocli, the JSON trees and the command
        assertThat(application).as("classes of ours and our libraries not from the archive")
                .allSatisfy((c, source) -> assertThat(source).isEqualTo("shared objects file"));
        // all but the few a JVM makes as it runs (picocli's annotation proxies, a lambda form or two)
        assertThat(sources.values().stream().filter(source -> !source.equals("shared objects file")).count())
                .as("classes not from the archive").isLessThan(20);
    }

    @Test
    void anArchiveMissingOlderThanTheJarOrNotForItIsLeftAsideSilently() throws Exception {
        Path jar = Files.copy(JAR, dir.resolve("poolctl.jar"));
        Path archive = dir.resolve("poolctl.jsa");
        Map<String, String> env = Map.of("POOLCTL_JAR", jar.toString());

        assertThat(status(env)).as("no archive").containsEntry("picocli.CommandLine", "file:" + jar);

        Files.copy(ARCHIVE, archive);
        Files.setLastModifiedTime(archive, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 60_000));
        assertThat(status(env)).as("archive older than the jar").containsEntry("picocli.CommandLine", "file:" + jar);

        Files.setLastModifiedTime(archive, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 60_000));
        assertThat(status(env)).as("an archive made for the jar at another path").containsEntry("picocli.CommandLine", "file:" + jar);

        Files.writeString(archive, "not an archive");
        Files.setLastModifiedTime(archive, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 60_000));
        assertThat(status(env)).as("a damaged archive").containsEntry("picocli.CommandLine", "file:" + jar);
    }

    /**
     * Runs {@code bin/poolctl status} against the canned API and checks that it answered as usual (the
     * table, exit 0, nothing on stderr); answers where each class it loaded came from (class name to source).
     */
    private Map<String, String> status(Map<String, String> env) throws Exception {
        Path classes = Files.createTempFile(dir, "classes", ".log");
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        ProcessBuilder pb = new ProcessBuilder(REPO.resolve("bin/poolctl").toString(), "status",
                "--server", "http://127.0.0.1:" + api.getAddress().getPort())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        pb.environment().put("POOLCTL_JAVA_OPTS", "-Xlog:class+load=info:file=" + classes + ":none");
        Process p = pb.start();
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("poolctl status finished").isTrue();
        assertThat(p.exitValue()).as(Files.readString(err)).isZero();
        assertThat(Files.readString(err)).isEmpty();
        assertThat(Files.readString(out)).contains("k8s_pool", "Overall health: warning");
        Map<String, String> sources = new HashMap<>();
        for (String line : Files.readAllLines(classes)) {
            String[] nameAndSource = line.split(" source: ", 2);
            sources.put(nameAndSource[0], nameAndSource.length > 1 ? nameAndSource[1] : "");
        }
        return sources;
    }
}
