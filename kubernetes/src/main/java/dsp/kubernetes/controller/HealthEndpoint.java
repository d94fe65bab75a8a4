package dsp.kubernetes.controller;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code /healthz} and {@code /readyz} for a role that serves no HTTP API (pool-scaling-controller),
 * so its liveness probe can restart it when it cannot recover.
 */
final class HealthEndpoint implements AutoCloseable {

    private final HttpServer server;

    /** @param problem why the process is not alive, empty when it is */
    HealthEndpoint(String host, int port, Supplier<Optional<String>> problem) {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "health-endpoint");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/healthz", x -> {
            Optional<String> p = problem.get();
            answer(x, p.isEmpty() ? 200 : 503, p.map(why -> "{\"status\":\"unhealthy\",\"reason\":" + quote(why) + "}")
                    .orElse("{\"status\":\"ok\"}"));
        });
        server.createContext("/readyz", x -> answer(x, 200, "{\"status\":\"ready\"}"));
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void answer(HttpExchange x, int code, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
