package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standalone server's class-data-sharing archive as a user gets it (#10, start-up): the jar and
 * {@code cli/target/poolctl-server.jsa} that {@code make build} made ({@link ServerCdsTraining}), run by
 * bin/poolctl. An integration test (failsafe, after the package phase). What it saves is measured by
 * {@code make bench} (start-up to ready in bench/standalone-scale.sh), not here.
 */
class ServerArchiveIT {

    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final Path JAR = REPO.resolve("cli/target/poolctl.jar");
    private static final Path ARCHIVE = REPO.resolve("cli/target/poolctl-server.jsa");
    /** The libraries and our own code the server loads besides the JDK. */
    private static final List<String> APPLICATION = List.of("dsp.", "io.javalin.", "org.eclipse.jetty.", "com.fasterxml.jackson.",
            "org.sqlite.", "picocli.");

    @TempDir
    Path dir;

    @Test
    void theStandaloneServerTakesItsOwnAndItsLibrariesClassesFromTheArchive() throws Exception {
        assertThat(ARCHIVE).as("the archive make build makes").exists();
        assertThat(Files.getLastModifiedTime(ARCHIVE)).as("archive newer than the jar").isGreaterThan(Files.getLastModifiedTime(JAR));
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        Path classes = dir.resolve("classes.log");
        Path log = dir.resolve("server.log");
        ProcessBuilder pb = new ProcessBuilder(REPO.resolve("bin/poolctl").toString(), "standalone", "--host", "127.0.0.1",
                "--port", String.valueOf(port), "--data-dir", dir.resolve("data").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("POOLCTL_JAVA_OPTS", "-Xlog:class+load=info:file=" + classes + ":none");
        Process server = pb.start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build();
            await().atMost(Duration.ofMinutes(2)).ignoreExceptions().untilAsserted(() -> {
                assertThat(server.isAlive()).as(Files.readString(log)).isTrue();
                assertThat(http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
            });
        } finally {
            server.destroy();
            assertThat(server.waitFor(1, TimeUnit.MINUTES)).isTrue();
        }
        assertThat(Files.readString(log)).as("the JVM said nothing about the archive").doesNotContainIgnoringCase("sharing")
                .doesNotContain("[cds");
        Map<String, String> sources = new HashMap<>();
        for (String line : Files.readAllLines(classes)) {
            String[] nameAndSource = line.split(" source: ", 2);
            sources.put(nameAndSource[0], nameAndSource.length > 1 ? nameAndSource[1] : "");
        }
        assertThat(sources).containsEntry("io.javalin.Javalin", "shared objects file (top)")
                .containsEntry("dsp.cli.standalone.StandaloneServer", "shared objects file (top)")
                .containsEntry("org.sqlite.jdbc4.JDBC4Connection", "shared objects file (top)")
                .containsEntry("dsp.core.ledger.CapacityLedger", "shared objects file (top)");
        Map<String, String> application = new HashMap<>(sources);
        application.keySet().removeIf(c -> APPLICATION.stream().noneMatch(c::startsWith));
        long shared = application.values().stream().filter("shared objects file (top)"::equals).count();
        // a few classes are generated at run time (lambdas of other loaders, proxies): most, not all
        assertThat(shared).as("of %s application classes loaded", application.size()).isGreaterThan(application.size() * 9L / 10);
    }
}
