package dsp.api;

import dsp.core.health.FleetStatus;
import dsp.core.health.Health;
import dsp.core.health.PoolFigures;
import dsp.core.health.ServerFigures;
import dsp.core.model.Allocation;
import dsp.core.port.OperationRecorder;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import dsp.core.vm.Template;
import dsp.core.vm.VmView;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Prometheus metrics of both modes. Pool, server, volume and template gauges are read at scrape
 * time from the snapshots the queries keep of the in-memory ledger (status, server figures;
 * nothing is measured per scrape); operations,
 * errors, latencies and cleanups are counted as they happen. Names follow Prometheus conventions:
 * base units in the name ({@code _bytes}, {@code _seconds}, {@code _ratio}), counters end in {@code _total}.
 */
public final class PoolMetrics implements OperationRecorder {

    /** Operations whose latency is a histogram (the rest are counted only). */
    static final Map<String, Duration[]> HISTOGRAMS = Map.of(
            "vm_create", buckets(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            "claim_provision", buckets(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600));

    /** Mutating API routes and the operation each one is. */
    private static final Map<String, String> OPERATIONS = Map.ofEntries(
            Map.entry("POST /api/v1/vms", "vm_create"),
            Map.entry("POST /api/v1/vms/{vm_id}/resize", "vm_resize"),
            Map.entry("DELETE /api/v1/vms/{vm_id}", "vm_delete"),
            Map.entry("POST /api/v1/volumes", "volume_create"),
            Map.entry("DELETE /api/v1/volumes/{id}", "volume_delete"),
            Map.entry("PUT /api/v1/servers/{name}", "server_assign"),
            Map.entry("DELETE /api/v1/servers/{name}", "server_remove"),
            Map.entry("POST /api/v1/templates", "template_import"),
            Map.entry("POST /api/v1/templates/{name}/optimize", "template_optimize"),
            Map.entry("DELETE /api/v1/templates/{name}", "template_delete"),
            Map.entry("POST /api/v1/cleanup", "cleanup"),
            Map.entry("POST /api/v1/backup", "backup"),
            Map.entry("POST /api/v1/restore", "restore"));

    private final PrometheusRegistry prometheus = new PrometheusRegistry();
    private final PrometheusMeterRegistry registry;
    private final Clock clock;
    private volatile Optional<ApiServices> observed = Optional.empty();
    /** The meters of each label set seen so far (see {@link #recordRequest}). */
    private final Map<RequestKey, RequestMeters> requestMeters = new ConcurrentHashMap<>();
    private final Map<OperationKey, OperationMeters> operationMeters = new ConcurrentHashMap<>();

    public PoolMetrics(Clock clock) {
        this.clock = clock;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, prometheus, io.micrometer.core.instrument.Clock.SYSTEM);
        prometheus.register((MultiCollector) this::snapshotGauges);
        for (String op : HISTOGRAMS.keySet()) {
            timer(op); // exported from the start, so rates and quantiles have a zero to start from
        }
    }

    /** The figures the gauges show come from these services' snapshot (set once the API is wired). */
    public PoolMetrics observe(ApiServices services) {
        this.observed = Optional.of(services);
        return this;
    }

    /** The Prometheus text format of everything. */
    public String scrape() {
        return registry.scrape();
    }

    /**
     * One HTTP request served; a change request also counts as its operation, unless it started
     * one in the background (202): that operation is counted, with its whole time, when it ends.
     */
    public void recordRequest(String method, String route, int status, Duration took, boolean startedAnOperation) {
        RequestMeters meters = requestMeters.computeIfAbsent(new RequestKey(method, route, status), this::requestMeters);
        meters.requests().record(took);
        if (meters.operation() != null && !startedAnOperation) {
            operationMeters.computeIfAbsent(meters.operation(), this::operationMeters).record(took);
        }
    }

    @Override
    public void record(String operation, Duration took, Optional<String> error) {
        operationMeters.computeIfAbsent(new OperationKey(operation, error), this::operationMeters).record(took);
    }

    // Meters are looked up once per distinct label set and kept: building the tags and the registry's
    // look-up on every request were a measurable part of a create's CPU (#10). The label sets are bounded
    // (routes are templates or "unmatched"; statuses, operations and error kinds are fixed sets).

    private record RequestKey(String method, String route, int status) {
    }

    private record OperationKey(String operation, Optional<String> error) {
    }

    /** A request's timer and, for a change route, what its operation counts as (null for other routes). */
    private record RequestMeters(Timer requests, OperationKey operation) {
    }

    /** The meters one finished operation adds to: its outcome count, and its error kind or its latency. */
    private record OperationMeters(Counter outcome, Counter error, Timer latency) {
        void record(Duration took) {
            outcome.increment();
            if (error != null) {
                error.increment();
            } else if (latency != null) {
                latency.record(took);
            }
        }
    }

    private RequestMeters requestMeters(RequestKey k) {
        Timer requests = Timer.builder("dsp_http_requests").description("HTTP requests served")
                .tags("method", k.method(), "route", k.route(), "status", String.valueOf(k.status()))
                .register(registry);
        String op = OPERATIONS.get(k.method() + " " + k.route());
        return new RequestMeters(requests, op == null ? null
                : new OperationKey(op, k.status() < 400 ? Optional.empty() : Optional.of(errorKind(k.status()))));
    }

    private OperationMeters operationMeters(OperationKey k) {
        Counter outcome = Counter.builder("dsp_operations").description("Operations finished, by operation and outcome")
                .tags("operation", k.operation(), "outcome", k.error().isPresent() ? "error" : "success")
                .register(registry);
        Counter error = k.error().map(kind -> Counter.builder("dsp_operation_errors")
                .description("Failed operations by operation and kind of error")
                .tags("operation", k.operation(), "kind", kind)
                .register(registry)).orElse(null);
        Timer latency = k.error().isEmpty() && HISTOGRAMS.containsKey(k.operation()) ? timer(k.operation()) : null;
        return new OperationMeters(outcome, error, latency);
    }

    /** A cleanup run: what it moved to the pools' trash (a dry run moves nothing). */
    public void recordCleanup(boolean dryRun, int entries, long bytes) {
        String mode = dryRun ? "dry_run" : "run";
        Counter.builder("dsp_cleanup_runs").description("Cleanup runs").tags("mode", mode).register(registry).increment();
        Counter.builder("dsp_cleanup_moved_entries").description("Entries cleanup moved to the pools' trash (or would have, in a dry run)")
                .tags("mode", mode).register(registry).increment(entries);
        Counter.builder("dsp_cleanup_moved_bytes").description("Bytes cleanup moved to the pools' trash (or would have, in a dry run)")
                .tags("mode", mode).baseUnit("bytes").register(registry).increment(bytes);
        if (!dryRun) {
            lastCleanup = clock.instant().toEpochMilli() / 1000.0;
            lastCleanupEntries = entries;
            lastCleanupBytes = bytes;
        }
    }

    private volatile double lastCleanup = Double.NaN;
    private volatile long lastCleanupEntries;
    private volatile long lastCleanupBytes;

    private Timer timer(String operation) {
        String name = "claim_provision".equals(operation) ? "dsp_claim_provision_duration" : "dsp_" + operation + "_duration";
        return Timer.builder(name)
                .description("claim_provision".equals(operation) ? "From a claim's creation to its PersistentVolume"
                        : "Time to finish " + operation.replace('_', ' '))
                .serviceLevelObjectives(HISTOGRAMS.get(operation))
                .register(registry);
    }

    static String errorKind(int status) {
        return switch (status) {
            case 400 -> "invalid";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 409 -> "conflict";
            case 413 -> "too_large";
            case 503 -> "unavailable";
            case 507 -> "insufficient_capacity";
            default -> status >= 500 ? "internal" : "http_" + status;
        };
    }

    private static Duration[] buckets(double... seconds) {
        Duration[] out = new Duration[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            out[i] = Duration.ofNanos((long) (seconds[i] * 1e9));
        }
        return out;
    }

    // ---- gauges from the snapshot ----

    /** Collects the gauge families of one scrape; each family keeps its data points in order. */
    private static final class Families {
        private final Map<String, GaugeSnapshot.Builder> byName = new LinkedHashMap<>();

        void add(String name, String help, double value, String... labels) {
            byName.computeIfAbsent(name, n -> GaugeSnapshot.builder().name(n).help(help))
                    .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build());
        }

        MetricSnapshots build() {
            List<MetricSnapshot> out = new ArrayList<>();
            byName.values().forEach(b -> out.add(b.build()));
            return new MetricSnapshots(out);
        }
    }

    private MetricSnapshots snapshotGauges() {
        Families f = new Families();
        lastCleanup(f);
        if (observed.isEmpty()) {
            return f.build();
        }
        ApiServices services = observed.get();
        FleetStatus status = services.queries().status();
        List<ServerFigures> servers = services.queries().serverFigures();
        pools(f, status, services);
        servers(f, servers);
        volumes(f, servers, services);
        templates(f, servers, services);
        return f.build();
    }

    private void lastCleanup(Families f) {
        if (!Double.isNaN(lastCleanup)) {
            f.add("dsp_cleanup_last_run_timestamp_seconds", "When cleanup last ran (not a dry run), Unix time", lastCleanup);
            f.add("dsp_cleanup_last_moved_entries", "Entries the last cleanup moved to the trash", lastCleanupEntries);
            f.add("dsp_cleanup_last_moved_bytes", "Bytes the last cleanup moved to the trash", lastCleanupBytes);
        }
    }

    private static void pools(Families f, FleetStatus status, ApiServices services) {
        var thresholds = services.queries().catalog().thresholds();
        for (PoolFigures p : status.pools()) {
            String pool = p.pool().name();
            f.add("dsp_pool_servers", "Servers in the pool", p.servers(), "pool", pool);
            f.add("dsp_pool_capacity_bytes", "Pool capacity: servers x share", p.capacity(), "pool", pool);
            f.add("dsp_pool_allocated_bytes", "Bytes allocated on the pool's servers (what admission counts)", p.used(), "pool", pool);
            f.add("dsp_pool_measured_bytes", "Bytes really on the pool servers' disks", p.measured(), "pool", pool);
            f.add("dsp_pool_available_bytes", "Bytes that can still be provisioned", p.available(), "pool", pool);
            f.add("dsp_pool_usage_ratio", "Allocated or measured bytes over capacity (health takes the higher)",
                    p.usagePercent() / 100, "pool", pool, "basis", "allocated");
            f.add("dsp_pool_usage_ratio", "Allocated or measured bytes over capacity (health takes the higher)",
                    p.measuredPercent() / 100, "pool", pool, "basis", "measured");
            f.add("dsp_pool_warning_threshold_ratio", "Usage above which the pool is in warning", thresholds.warningPercent() / 100, "pool", pool);
            f.add("dsp_pool_critical_threshold_ratio", "Usage above which the pool is critical", thresholds.criticalPercent() / 100, "pool", pool);
            for (Health h : Health.values()) {
                f.add("dsp_pool_health", "Pool health: 1 for the current state", p.health() == h ? 1 : 0, "pool", pool, "state", h.display());
            }
            f.add("dsp_pool_volumes", "Volumes of the pool, wherever they are", p.volumes(), "pool", pool);
            f.add("dsp_pool_stranded_volumes", "Volumes of the pool left on servers outside it", p.strandedVolumes(), "pool", pool);
            f.add("dsp_pool_stranded_bytes", "Bytes allocated to the pool's stranded volumes", p.strandedBytes(), "pool", pool);
        }
        for (Health h : Health.values()) {
            f.add("dsp_health", "Overall health: 1 for the current state", status.overall() == h ? 1 : 0, "state", h.display());
        }
        f.add("dsp_system_reserve_servers", "Servers keeping the system reserve", status.reserve().servers());
        f.add("dsp_system_reserve_capacity_bytes", "System reserve over all pool servers", status.reserve().capacity());
        f.add("dsp_system_reserve_used_bytes", "Bytes used on the pool servers outside the pool directories", status.reserve().used());
    }

    private void servers(Families f, List<ServerFigures> servers) {
        for (ServerFigures s : servers) {
            String[] l = {"server", s.server(), "pool", s.pool().orElse("")};
            f.add("dsp_server_share_bytes", "What the server gives its pool", s.share(), l);
            f.add("dsp_server_required_bytes", "What its disk must hold: share plus system reserve", s.required(), l);
            f.add("dsp_server_allocated_bytes", "Bytes allocated on the server (any pool)", s.allocated(), l);
            f.add("dsp_server_volumes", "Volumes on the server", s.volumes(), l);
            f.add("dsp_server_stranded_volumes", "Volumes on the server whose pool it has left", s.strandedVolumes(), l);
            f.add("dsp_server_disk_too_small", "1 when the server's disk cannot hold its share plus the reserve",
                    s.diskCheck() == ServerFigures.DiskCheck.TOO_SMALL || s.diskCheck() == ServerFigures.DiskCheck.SHARED_TOO_SMALL ? 1 : 0, l);
            s.disk().ifPresent(d -> {
                f.add("dsp_server_measured_bytes", "Bytes on disk under the server's pool directories", d.measured(), l);
                f.add("dsp_server_filesystem_size_bytes", "Size of the file system holding the server's pools", d.filesystemBytes(), l);
                f.add("dsp_server_filesystem_free_bytes", "Free bytes on that file system", d.filesystemFreeBytes(), l);
                d.measuredAt().ifPresent(at -> f.add("dsp_server_last_report_age_seconds",
                        "Seconds since the server's disk was last measured (its agent's last report)",
                        Math.max(0, Duration.between(at, clock.instant()).toMillis() / 1000.0), l));
            });
        }
    }

    /** Per volume: what kubelet does not give for local volumes. PVC or VM names as labels. */
    private static void volumes(Families f, List<ServerFigures> servers, ApiServices services) {
        Map<String, VmView> vmByDisk = services.vms().list(Optional.empty()).stream()
                .collect(Collectors.toMap(v -> v.disk().id(), Function.identity(), (a, b) -> a));
        Map<String, Map<String, Long>> measuredByServer = new HashMap<>();
        servers.forEach(s -> s.disk().ifPresent(d -> measuredByServer.put(s.server(), d.volumeBytes())));
        for (Allocation a : services.volumes().list(Optional.empty())) {
            String namespace = "";
            String claim = "";
            String vm = "";
            if (a.kind().equals("pvc") && a.owner().isPresent() && a.owner().get().contains("/")) {
                String[] nn = a.owner().get().split("/", 2);
                namespace = nn[0];
                claim = nn[1];
            }
            VmView v = vmByDisk.get(a.id());
            if (v != null) {
                namespace = v.vm().namespace();
                vm = v.vm().name();
            }
            String[] l = {"volume", a.name(), "pool", a.pool(), "server", a.server(), "kind", a.kind(),
                    "namespace", namespace, "persistentvolumeclaim", claim, "vm", vm};
            f.add("dsp_volume_requested_bytes", "Bytes the volume asked for (its allocation)", a.sizeBytes(), l);
            Long measured = measuredByServer.getOrDefault(a.server(), Map.of()).get(ServerDiskUsage.volumeKey(a.pool(), a.name()));
            if (measured != null) {
                f.add("dsp_volume_measured_bytes", "Bytes the volume really uses on disk", measured, l);
            }
        }
    }

    /** Templates on the vm pool's servers: a server without a template cannot take disks made from it. */
    private static void templates(Families f, List<ServerFigures> servers, ApiServices services) {
        Optional<String> vmPool = Optional.of(services.vms().vmPool());
        List<String> vmServers = servers.stream().filter(s -> s.pool().equals(vmPool)).map(ServerFigures::server).toList();
        for (Template t : services.templates().list()) {
            Optional<Set<String>> holders = services.templates().serversWith(t.name());
            long holding = holders.map(h -> vmServers.stream().filter(h::contains).count()).orElse((long) vmServers.size());
            f.add("dsp_template_servers", "VM-pool servers holding the template", holding, "template", t.name());
            f.add("dsp_template_missing_servers", "VM-pool servers without the template", vmServers.size() - holding, "template", t.name());
        }
    }
}
