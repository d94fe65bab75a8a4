package dsp.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The build's training run for the standalone server's class-data-sharing archive
 * ({@code cli/target/poolctl-server.jsa}, made by {@code java -XX:ArchiveClassesAtExit} in the package phase,
 * as {@link CdsTraining} makes the client's): {@code poolctl standalone} on an empty data dir in a temporary
 * directory, a server labelled, a volume made, status and lists read, then exit. At a start-up with
 * 200,000 allocations, loading, linking and verifying the server's classes (Javalin, Jetty, Jackson,
 * SQLite, ours) from the jar was a seventh of the main thread's CPU (#10). Not a command.
 */
public final class ServerCdsTraining {

    private ServerCdsTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("poolctl-cds-");
        int code = 1;
        try {
            int port;
            try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = free.getLocalPort();
            }
            String[] command = {"standalone", "--host", "127.0.0.1", "--port", String.valueOf(port), "--data-dir",
                    dir.resolve("data").toString()};
            if (Poolctl.commandLineFor(command).execute(command) != 0) {
                throw new IllegalStateException("the standalone server did not start");
            }
            String base = "http://127.0.0.1:" + port;
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            send(http, base, "GET", "/readyz", null);
            send(http, base, "PUT", "/api/v1/servers/training-1", "{\"pool\": \"k8s\"}");
            send(http, base, "POST", "/api/v1/volumes", "{\"name\": \"training\", \"pool\": \"k8s\", \"size\": 1}");
            for (String read : new String[] {"/api/v1/pools/status", "/api/v1/pools/health", "/api/v1/servers", "/api/v1/volumes", "/metrics"}) {
                send(http, base, "GET", read, null);
            }
            code = 0;
        } finally {
            deleteTree(dir);
            // the server's threads would keep the JVM up; the archive is written as it exits
            System.exit(code);
        }
    }

    private static void send(HttpClient http, String base, String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
        if (body != null) {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
