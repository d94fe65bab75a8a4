package dsp.api;

import dsp.core.health.FleetStatus;
import dsp.core.health.PoolFigures;
import dsp.core.model.PoolDefinition;
import dsp.core.usecase.PoolQueries;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;

/**
 * Prometheus metrics: per-pool capacity gauges read from the status computed at scrape time,
 * and a timer of HTTP requests by route.
 */
public final class PoolMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final PoolQueries queries;
    private final AtomicReference<FleetStatus> last = new AtomicReference<>();

    public PoolMetrics(PoolQueries queries) {
        this.queries = queries;
        for (PoolDefinition p : queries.catalog().pools()) {
            gauge("dsp_pool_servers", "Servers in the pool", p, f -> f.servers());
            gauge("dsp_pool_capacity_bytes", "Pool capacity: servers x share", p, f -> f.capacity());
            gauge("dsp_pool_used_bytes", "Bytes allocated on the pool's servers", p, f -> f.used());
            gauge("dsp_pool_available_bytes", "Bytes that can still be provisioned", p, f -> f.available());
            gauge("dsp_pool_measured_bytes", "Bytes really on the pool servers' disks", p, f -> f.measured());
            gauge("dsp_pool_stranded_volumes", "Volumes left on servers outside their pool", p, f -> f.strandedVolumes());
            gauge("dsp_pool_health", "0 healthy, 1 warning, 2 critical", p, f -> f.health().ordinal());
        }
        Gauge.builder("dsp_system_reserve_bytes", last, s -> s.get() == null ? Double.NaN : s.get().reserve().capacity())
                .description("System reserve over all pool servers").register(registry);
    }

    private void gauge(String name, String help, PoolDefinition pool, ToDoubleFunction<PoolFigures> value) {
        Gauge.builder(name, last, s -> s.get() == null ? Double.NaN
                        : s.get().pool(pool.name()).map(value::applyAsDouble).orElse(Double.NaN))
                .description(help).tags(Tags.of("pool", pool.name())).register(registry);
    }

    public void recordRequest(String method, String route, int status, Duration took) {
        Timer.builder("dsp_http_requests").description("HTTP requests served")
                .tags("method", method, "route", route, "status", String.valueOf(status))
                .register(registry).record(took);
    }

    /** Refreshes the pool figures and renders the Prometheus text format. */
    public String scrape() {
        last.set(queries.status());
        return registry.scrape();
    }
}
