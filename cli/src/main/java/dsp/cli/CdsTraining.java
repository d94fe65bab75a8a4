package dsp.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * The build's training run for the class-data-sharing archive ({@code cli/target/poolctl.jsa}, made by
 * {@code java -XX:ArchiveClassesAtExit} in the package phase): the client commands against a loopback
 * server giving answers of the API's shapes, so the classes they load are in the archive. Not a
 * command: nothing here talks to a real server.
 */
public final class CdsTraining {

    private static final Map<String, String> ANSWERS = Map.of(
            "/api/v1/pools/status", """
                    {"k8s_pool": {"servers": 3, "total_capacity_gb": 4500, "used_capacity_gb": 1200,
                      "available_capacity_gb": 3300, "usage_percentage": 26.67, "health": "healthy"},
                     "vm_pool": {"servers": 2, "total_capacity_gb": 3000, "used_capacity_gb": 800,
                      "available_capacity_gb": 2200, "usage_percentage": 26.67, "health": "healthy",
                      "stranded_volumes": 1, "stranded_capacity_gb": 50},
                     "system_reserve": {"total_servers": 5, "total_capacity_gb": 1500, "used_capacity_gb": 200,
                      "available_capacity_gb": 1300, "usage_percentage": 13.33}}""",
            "/api/v1/pools/health", """
                    {"status": "warning", "pools": {"k8s_pool": "healthy", "vm_pool": "warning"},
                     "warnings": ["vm_pool: 1 stranded volume"], "errors": []}""",
            "/api/v1/servers", """
                    {"servers": [{"name": "k8s-server-1", "pool": "k8s", "capacity_gb": 1500, "used_capacity_gb": 10,
                      "available_capacity_gb": 1490, "allocations": 1, "stranded_allocations": 0}]}""");

    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException {
        HttpServer server = cannedApi();
        String url = "http://127.0.0.1:" + server.getAddress().getPort();
        try {
            for (List<String> command : List.of(List.of("status"), List.of("status", "-o", "json"), List.of("health"),
                    List.of("servers", "list"), List.of("vms", "list"), List.of("volumes", "list"), List.of("templates", "list"),
                    List.of("status", "--help"))) {
                String[] withServer = command.contains("--help") ? command.toArray(String[]::new)
                        : Stream.concat(command.stream(), Stream.of("--server", url)).toArray(String[]::new);
                CommandLine cl = Poolctl.commandLineFor(withServer);
                PrintWriter discard = new PrintWriter(Writer.nullWriter());
                cl.setOut(discard);
                cl.setErr(discard);
                cl.execute(withServer);
                Daemon.isServing(); // as Poolctl.main asks after every command
            }
        } finally {
            server.stop(0);
        }
    }

    /** A started loopback server answering the client commands' GETs with {@link #ANSWERS} ({@code {}} otherwise). */
    static HttpServer cannedApi() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = ANSWERS.getOrDefault(exchange.getRequestURI().getPath(), "{}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }
}
