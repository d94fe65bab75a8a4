package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The table forms of {@code poolctl status} and {@code poolctl health} do not show which servers' disks
 * fail their check, so they ask for health without that map (one entry per such server: 180 KB at
 * 5,000, ~50 ms of CPU of a {@code poolctl status}); {@code -o json} prints the API's whole answer.
 */
class HealthWithoutServersTest {

    private static final String STATUS = """
            {"k8s_pool": {"servers": 1, "total_capacity_gb": 1500, "used_capacity_gb": 0, "available_capacity_gb": 1500,
             "usage_percentage": 0}, "system_reserve": {"total_servers": 1, "total_capacity_gb": 300, "used_capacity_gb": 0,
             "available_capacity_gb": 300, "usage_percentage": 0}}""";
    private static final String HEALTH = """
            {"status": "warning", "pools": {"k8s_pool": "healthy"}, "warnings": ["server srv-1's disk is too small"],
             "errors": [], "notes": []%s}""";

    private final List<String> asked = new CopyOnWriteArrayList<>();
    private HttpServer api;

    @BeforeEach
    void start() throws Exception {
        api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        api.createContext("/", exchange -> {
            asked.add(exchange.getRequestURI().toString());
            String path = exchange.getRequestURI().getPath();
            boolean withServers = !"servers=false".equals(exchange.getRequestURI().getQuery());
            String body = path.equals("/api/v1/pools/status") ? STATUS
                    : HEALTH.formatted(withServers ? ", \"servers\": {\"srv-1\": \"disk too small\"}" : "");
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        api.start();
    }

    @AfterEach
    void stop() {
        api.stop(0);
    }

    @Test
    void theStatusTableAsksForHealthWithoutTheServers() {
        String out = run("status");
        assertThat(asked).containsExactly("/api/v1/pools/status", "/api/v1/pools/health?servers=false");
        assertThat(out).contains("k8s_pool", "Overall health: warning", "WARNING  server srv-1's disk is too small");
    }

    @Test
    void theHealthTableAsksWithoutTheServersAndJsonGetsTheWholeAnswer() {
        assertThat(run("health")).contains("status: warning", "WARNING  server srv-1's disk is too small");
        assertThat(asked).containsExactly("/api/v1/pools/health?servers=false");

        asked.clear();
        assertThat(run("health", "-o", "json")).contains("\"srv-1\"", "disk too small");
        assertThat(asked).containsExactly("/api/v1/pools/health");
    }

    private String run(String... command) {
        String[] args = Stream.concat(Stream.of(command), Stream.of("--server", "http://127.0.0.1:" + api.getAddress().getPort()))
                .toArray(String[]::new);
        CommandLine cl = Poolctl.commandLineFor(args);
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(out));
        cl.execute(args);
        return out.toString();
    }
}
