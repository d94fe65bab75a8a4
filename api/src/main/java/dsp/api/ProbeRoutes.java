package dsp.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** Probes, metrics and the OpenAPI document: what operators and tools read (the dashboard is {@link OpsRoutes}). */
final class ProbeRoutes implements ApiRoutes {

    private final ApiServices services;
    private final PoolMetrics metrics;
    private final String openApi = resource("/dsp/api/openapi.yaml");

    private final Supplier<Optional<String>> liveness;

    /** @param liveness why the process cannot recover by itself, empty while it can (/healthz) */
    ProbeRoutes(ApiServices services, PoolMetrics metrics, Supplier<Optional<String>> liveness) {
        this.services = services;
        this.metrics = metrics;
        this.liveness = liveness;
    }

    @Override
    public void register(RouteTable table) {
        table.get("/healthz", ctx -> {
                    Optional<String> problem = liveness.get();
                    ctx.status(problem.isEmpty() ? 200 : 503).json(problem.isEmpty() ? Map.of("status", "ok")
                            : Map.of("status", "unhealthy", "reason", problem.get()));
                })
                .get("/readyz", ctx -> {
                    boolean ready = services.ready().getAsBoolean();
                    ctx.status(ready ? 200 : 503).json(Map.of("status", ready ? "ready" : "not ready"));
                })
                .get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()))
                .get("/openapi.yaml", ctx -> ctx.contentType("application/yaml").result(openApi));
    }

    static String resource(String path) {
        try (InputStream in = ProbeRoutes.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path, e);
        }
    }
}
