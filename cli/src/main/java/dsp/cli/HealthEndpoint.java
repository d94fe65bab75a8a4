package dsp.cli;

import dsp.cli.client.CliFailure;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * {@code /healthz} and {@code /readyz} for a daemon that serves no API (the node agent), so the
 * kubelet's probes can ask it: 200 when the answer is yes, 503 otherwise.
 */
final class HealthEndpoint implements AutoCloseable {

    private final HttpServer server;

    HealthEndpoint(String host, int port, BooleanSupplier live, BooleanSupplier ready) {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new CliFailure(CliFailure.USAGE, "cannot listen on " + host + ":" + port + " for health checks: " + e.getMessage());
        }
        server.createContext("/healthz", x -> answer(x, live.getAsBoolean(), "ok", "not live"));
        server.createContext("/readyz", x -> answer(x, ready.getAsBoolean(), "ready", "not ready"));
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "health");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void answer(com.sun.net.httpserver.HttpExchange x, boolean yes, String good, String bad) throws IOException {
        byte[] body = ("{\"status\":\"" + (yes ? good : bad) + "\"}").getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(yes ? 200 : 503, body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
