package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import dsp.core.port.TemplateLibrary;
import dsp.core.usecase.CapacityAdmission;
import dsp.core.usecase.FleetLock;
import dsp.core.usecase.TemplateService;
import dsp.core.vm.Template;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What /metrics promises operators (deploy/monitoring's rules and Grafana dashboard read these
 * names): the pool, server, volume and template gauges read from the ledger's figures, and the
 * operation, error, latency and cleanup counters, each with the labels and units its name says.
 */
class PoolMetricsTest {

    private static final long GB = 1_000_000_000L;
    private static final Instant MEASURED = Instant.parse("2026-11-26T12:00:00Z");
    /** The metrics' clock: 90.5 s after the disks were measured. */
    private static final Clock NOW = Clock.fixed(MEASURED.plusMillis(90_500), ZoneOffset.UTC);

    private final ApiHarness h = new ApiHarness();

    @AfterEach
    void stop() {
        h.close();
    }

    private PrometheusText scrape(PoolMetrics metrics) {
        return new PrometheusText(metrics.scrape());
    }

    private void label(String server, String pool) {
        assertThat(h.put("/api/v1/servers/" + server, "{\"pool\": \"" + pool + "\"}").status()).isEqualTo(201);
    }

    private void admit(String name, String pool, long bytes, String kind, String server, Optional<String> owner) {
        h.admission.admit(new CapacityAdmission.Request(name, pool, bytes, kind, Optional.of(server), VolumeFormat.DIRECTORY,
                Optional.empty(), owner, VolumePhase.READY));
    }

    private void measure(String server, String pool, long poolBytes, String filesystem, long filesystemBytes, Map<String, Long> volumes) {
        h.ledger.measured(new ServerDiskUsage(server, Map.of(pool, poolBytes), 7 * GB, filesystem, filesystemBytes,
                filesystemBytes / 4, volumes, Optional.empty()), MEASURED);
    }

    /**
     * k8s: two servers, 600 GB of 3 TB allocated (0.2), 300 GB measured (0.1), healthy. vm: two servers,
     * 2,350 GB of 3 TB allocated (0.78: warning), one VM "web". k8s-1's disk holds its share and the
     * reserve; k8s-2 and vm-1 share a file system too small for both; vm-2's disk is too small alone.
     */
    private PoolMetrics fleet() {
        label("k8s-1", "k8s");
        label("k8s-2", "k8s");
        label("vm-1", "vm");
        label("vm-2", "vm");
        admit("pvc-shop", "k8s", 400 * GB, "pvc", "k8s-1", Optional.of("shop/data"));
        admit("pvc-odd", "k8s", 150 * GB, "pvc", "k8s-2", Optional.of("no-namespace"));
        admit("scratch", "k8s", 50 * GB, "volume", "k8s-2", Optional.of("team/scratch"));
        admit("big-1", "vm", 1_200 * GB, "volume", "vm-1", Optional.empty());
        admit("big-2", "vm", 1_100 * GB, "volume", "vm-2", Optional.empty());
        ApiHarness.Reply vm = h.post("/api/v1/vms", "{\"name\": \"web\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"storage\": 50}");
        assertThat(vm.status()).as(vm.body()).isEqualTo(201);
        measure("k8s-1", "k8s", 200 * GB, "fs-a", 2_000 * GB, Map.of("k8s/pvc-shop", 123 * GB));
        measure("k8s-2", "k8s", 100 * GB, "fs-b", 3_000 * GB, Map.of());
        measure("vm-1", "vm", 10 * GB, "fs-b", 3_000 * GB, Map.of());
        measure("vm-2", "vm", 10 * GB, "fs-c", 1_000 * GB, Map.of());
        return new PoolMetrics(NOW).observe(h.services);
    }

    @Test
    void poolGaugesShowTheLedgerFiguresInBaseUnitsAndRatios() {
        PrometheusText m = scrape(fleet());

        assertThat(m.value("dsp_pool_servers", "pool", "k8s")).isEqualTo(2);
        assertThat(m.value("dsp_pool_capacity_bytes", "pool", "k8s")).isEqualTo(3_000 * GB);
        assertThat(m.value("dsp_pool_allocated_bytes", "pool", "k8s")).isEqualTo(600 * GB);
        assertThat(m.value("dsp_pool_measured_bytes", "pool", "k8s")).isEqualTo(300 * GB);
        assertThat(m.value("dsp_pool_available_bytes", "pool", "k8s")).isEqualTo(2_400 * GB);
        assertThat(m.value("dsp_pool_usage_ratio", "pool", "k8s", "basis", "allocated")).isCloseTo(0.2, within(1e-9));
        assertThat(m.value("dsp_pool_usage_ratio", "pool", "k8s", "basis", "measured")).isCloseTo(0.1, within(1e-9));
        assertThat(m.value("dsp_pool_usage_ratio", "pool", "vm", "basis", "allocated")).isCloseTo(0.7833, within(1e-9)); // the guide rounds percentages to 2 places
        assertThat(m.value("dsp_pool_warning_threshold_ratio", "pool", "vm")).isEqualTo(0.75);
        assertThat(m.value("dsp_pool_critical_threshold_ratio", "pool", "vm")).isEqualTo(0.9);
        assertThat(m.value("dsp_pool_volumes", "pool", "k8s")).isEqualTo(3);
        assertThat(m.value("dsp_pool_volumes", "pool", "vm")).isEqualTo(3);

        // one state at 1 per pool and overall: the one /api/v1/pools/health reports
        assertThat(m.value("dsp_pool_health", "pool", "k8s", "state", "healthy")).isEqualTo(1);
        assertThat(m.value("dsp_pool_health", "pool", "k8s", "state", "warning")).isZero();
        assertThat(m.value("dsp_pool_health", "pool", "vm", "state", "warning")).isEqualTo(1);
        assertThat(m.value("dsp_pool_health", "pool", "vm", "state", "healthy")).isZero();
        assertThat(m.value("dsp_pool_health", "pool", "vm", "state", "critical")).isZero();
        String overall = h.get("/api/v1/pools/health").json().get("status").asText();
        assertThat(m.value("dsp_health", "state", overall)).isEqualTo(1);
        assertThat(m.all("dsp_health").stream().mapToDouble(PrometheusText.Series::value).sum()).isEqualTo(1);

        // the guide's system reserve: 300 GB per pool server, used = what lies outside the pool directories
        assertThat(m.value("dsp_system_reserve_servers")).isEqualTo(4);
        assertThat(m.value("dsp_system_reserve_capacity_bytes")).isEqualTo(1_200 * GB);
        assertThat(m.value("dsp_system_reserve_used_bytes")).isEqualTo(4 * 7 * GB);
    }

    @Test
    void aServerThatLeavesItsPoolShowsItsVolumesAsStranded() {
        PoolMetrics metrics = fleet();
        assertThat(scrape(metrics).value("dsp_pool_stranded_volumes", "pool", "k8s")).isZero();
        assertThat(h.put("/api/v1/servers/k8s-2", "{\"pool\": \"vm\"}").status()).isEqualTo(200);

        PrometheusText m = scrape(metrics);
        assertThat(m.value("dsp_pool_stranded_volumes", "pool", "k8s")).isEqualTo(2);
        assertThat(m.value("dsp_pool_stranded_bytes", "pool", "k8s")).isEqualTo(200 * GB);
        assertThat(m.value("dsp_server_stranded_volumes", "server", "k8s-2", "pool", "vm")).isEqualTo(2);
        assertThat(m.value("dsp_server_stranded_volumes", "server", "k8s-1", "pool", "k8s")).isZero();
    }

    @Test
    void serverGaugesShowShareDiskAndHowOldTheirMeasurementIs() {
        PrometheusText m = scrape(fleet());

        String[] k8s1 = {"server", "k8s-1", "pool", "k8s"};
        assertThat(m.value("dsp_server_share_bytes", k8s1)).isEqualTo(1_500 * GB);
        assertThat(m.value("dsp_server_required_bytes", k8s1)).isEqualTo(1_800 * GB);
        assertThat(m.value("dsp_server_allocated_bytes", k8s1)).isEqualTo(400 * GB);
        assertThat(m.value("dsp_server_volumes", k8s1)).isEqualTo(1);
        assertThat(m.value("dsp_server_volumes", "server", "k8s-2")).isEqualTo(2);
        assertThat(m.value("dsp_server_measured_bytes", k8s1)).isEqualTo(200 * GB);
        assertThat(m.value("dsp_server_filesystem_size_bytes", k8s1)).isEqualTo(2_000 * GB);
        assertThat(m.value("dsp_server_filesystem_free_bytes", k8s1)).isEqualTo(500 * GB);
        assertThat(m.value("dsp_server_last_report_age_seconds", k8s1)).isEqualTo(90.5);

        // 1 when the disk cannot hold share + reserve, alone or shared with another server
        assertThat(m.value("dsp_server_disk_too_small", k8s1)).isZero();
        assertThat(m.value("dsp_server_disk_too_small", "server", "vm-2")).isEqualTo(1);
        assertThat(m.value("dsp_server_disk_too_small", "server", "k8s-2")).isEqualTo(1);
        assertThat(m.value("dsp_server_disk_too_small", "server", "vm-1")).isEqualTo(1);
    }

    @Test
    void aServerNeverMeasuredHasNoDiskGauges() {
        label("k8s-1", "k8s");
        PrometheusText m = scrape(new PoolMetrics(NOW).observe(h.services));
        assertThat(m.value("dsp_server_share_bytes", "server", "k8s-1")).isEqualTo(1_500 * GB);
        assertThat(m.all("dsp_server_measured_bytes")).isEmpty();
        assertThat(m.all("dsp_server_last_report_age_seconds")).isEmpty();
    }

    @Test
    void volumeGaugesNameTheClaimOrTheVmTheyBelongTo() {
        PrometheusText m = scrape(fleet());

        assertThat(m.all("dsp_volume_requested_bytes", "volume", "pvc-shop", "pool", "k8s", "server", "k8s-1", "kind", "pvc",
                "namespace", "shop", "persistentvolumeclaim", "data", "vm", "")).singleElement()
                .extracting(PrometheusText.Series::value).isEqualTo(400.0 * GB);
        // only a pvc whose owner is namespace/name names a claim
        assertThat(m.all("dsp_volume_requested_bytes", "volume", "pvc-odd", "namespace", "", "persistentvolumeclaim", "")).hasSize(1);
        assertThat(m.all("dsp_volume_requested_bytes", "volume", "scratch", "kind", "volume", "namespace", "", "persistentvolumeclaim", ""))
                .hasSize(1);
        // a VM's disk names its VM and the VM's namespace
        assertThat(m.all("dsp_volume_requested_bytes", "kind", "vm-disk", "pool", "vm", "namespace", "default", "vm", "web")).hasSize(1);

        // what the disk really holds, where it was measured
        assertThat(m.value("dsp_volume_measured_bytes", "volume", "pvc-shop", "persistentvolumeclaim", "data")).isEqualTo(123 * GB);
        assertThat(m.all("dsp_volume_measured_bytes", "volume", "pvc-odd")).isEmpty();
        assertThat(m.all("dsp_volume_requested_bytes")).hasSize(6);
    }

    @Test
    void templatesCountTheVmPoolServersThatHoldThem() {
        PrometheusText m = scrape(fleet());
        // the in-memory library keeps templates on every server (no holders list): both vm servers, no k8s one
        assertThat(m.value("dsp_template_servers", "template", "ubuntu22")).isEqualTo(2);
        assertThat(m.value("dsp_template_missing_servers", "template", "ubuntu22")).isZero();
    }

    @Test
    void aTemplateMissingOnAVmServerCountsAsMissingThere() {
        fleet();
        // a library that knows where its copies are: vm-1 holds ubuntu22 (and k8s-1, which is no VM server), vm-2 does not
        TemplateLibrary library = new TemplateLibrary() {
            public List<Template> listTemplates() {
                return h.volumes.listTemplates();
            }

            public Optional<Template> findTemplate(String name) {
                return h.volumes.findTemplate(name);
            }

            public Optional<Set<String>> serversWith(String name) {
                return Optional.of(Set.of("vm-1", "k8s-1"));
            }

            public Template importTemplate(String name, String sourceFile) {
                return h.volumes.importTemplate(name, sourceFile);
            }

            public void deleteTemplate(String name) {
                h.volumes.deleteTemplate(name);
            }

            public Optimized optimizeTemplate(String name) {
                return h.volumes.optimizeTemplate(name);
            }
        };
        ApiServices s = h.services;
        PrometheusText m = scrape(new PoolMetrics(NOW).observe(new ApiServices(s.queries(), s.servers(), s.vms(), s.volumes(),
                new TemplateService(library, h.store, new FleetLock()), s.cleanup(), s.ready(), s.history(), s.operations())));
        assertThat(m.value("dsp_template_servers", "template", "ubuntu22")).isEqualTo(1);
        assertThat(m.value("dsp_template_missing_servers", "template", "ubuntu22")).isEqualTo(1);
    }

    @Test
    void aChangeRequestCountsAsItsOperationWithItsOutcomeAndLatency() {
        PoolMetrics metrics = new PoolMetrics(NOW);
        metrics.recordRequest("POST", "/api/v1/vms", 201, Duration.ofMillis(30), false);
        metrics.recordRequest("POST", "/api/v1/vms", 409, Duration.ofMillis(2), false);
        metrics.recordRequest("POST", "/api/v1/vms", 400, Duration.ofMillis(1), false);
        metrics.recordRequest("GET", "/api/v1/pools/status", 200, Duration.ofMillis(1), false);
        metrics.recordRequest("DELETE", "/api/v1/volumes/{id}", 404, Duration.ofMillis(3), false);

        PrometheusText m = scrape(metrics);
        assertThat(m.value("dsp_http_requests_seconds_count", "method", "POST", "route", "/api/v1/vms", "status", "201")).isEqualTo(1);
        assertThat(m.value("dsp_http_requests_seconds_sum", "method", "POST", "route", "/api/v1/vms", "status", "201"))
                .isCloseTo(0.03, within(1e-9));
        assertThat(m.value("dsp_http_requests_seconds_count", "method", "GET", "route", "/api/v1/pools/status", "status", "200"))
                .isEqualTo(1);

        assertThat(m.value("dsp_operations_total", "operation", "vm_create", "outcome", "success")).isEqualTo(1);
        assertThat(m.value("dsp_operations_total", "operation", "vm_create", "outcome", "error")).isEqualTo(2);
        assertThat(m.value("dsp_operation_errors_total", "operation", "vm_create", "kind", "conflict")).isEqualTo(1);
        assertThat(m.value("dsp_operation_errors_total", "operation", "vm_create", "kind", "invalid")).isEqualTo(1);
        assertThat(m.value("dsp_operation_errors_total", "operation", "volume_delete", "kind", "not_found")).isEqualTo(1);
        assertThat(m.all("dsp_operations_total", "operation", "volume_delete", "outcome", "success")).isEmpty();
        // a read is no operation
        assertThat(m.all("dsp_operations_total").stream().map(s -> s.labels().get("operation")).distinct())
                .containsExactlyInAnyOrder("vm_create", "volume_delete");

        // the latency histogram counts successes only: the 30 ms create, in the 50 ms bucket and not the 25 ms one
        assertThat(m.value("dsp_vm_create_duration_seconds_count")).isEqualTo(1);
        assertThat(m.value("dsp_vm_create_duration_seconds_bucket", "le", "0.05")).isEqualTo(1);
        assertThat(m.value("dsp_vm_create_duration_seconds_bucket", "le", "0.025")).isZero();
    }

    @Test
    void anOperationStartedInTheBackgroundIsCountedWhenItEndsNotByItsRequest() {
        PoolMetrics metrics = new PoolMetrics(NOW);
        metrics.recordRequest("POST", "/api/v1/vms", 202, Duration.ofMillis(5), true);
        PrometheusText m = scrape(metrics);
        assertThat(m.value("dsp_http_requests_seconds_count", "status", "202")).isEqualTo(1);
        assertThat(m.all("dsp_operations_total")).isEmpty();

        metrics.record("vm_create", Duration.ofSeconds(3), Optional.empty());
        metrics.record("template_import", Duration.ofSeconds(3), Optional.of("storage_failed"));
        m = scrape(metrics);
        assertThat(m.value("dsp_operations_total", "operation", "vm_create", "outcome", "success")).isEqualTo(1);
        assertThat(m.value("dsp_vm_create_duration_seconds_bucket", "le", "5.0")).isEqualTo(1);
        assertThat(m.value("dsp_vm_create_duration_seconds_bucket", "le", "2.5")).isZero();
        assertThat(m.value("dsp_operation_errors_total", "operation", "template_import", "kind", "storage_failed")).isEqualTo(1);
        // an operation without a histogram is only counted
        assertThat(m.all("dsp_template_import_duration_seconds_count")).isEmpty();
    }

    @Test
    void claimProvisioningHasItsOwnHistogramFromTheStart() {
        PoolMetrics metrics = new PoolMetrics(NOW);
        PrometheusText before = scrape(metrics);
        // exported at zero before anything happened, so rates and quantiles have a start
        assertThat(before.value("dsp_claim_provision_duration_seconds_count")).isZero();
        assertThat(before.value("dsp_vm_create_duration_seconds_count")).isZero();
        assertThat(before.help("dsp_claim_provision_duration_seconds")).isEqualTo("From a claim's creation to its PersistentVolume");
        assertThat(before.help("dsp_vm_create_duration_seconds")).isEqualTo("Time to finish vm create");

        metrics.record("claim_provision", Duration.ofMillis(700), Optional.empty());
        PrometheusText m = scrape(metrics);
        assertThat(m.value("dsp_claim_provision_duration_seconds_count")).isEqualTo(1);
        assertThat(m.value("dsp_claim_provision_duration_seconds_bucket", "le", "1.0")).isEqualTo(1);
        assertThat(m.value("dsp_claim_provision_duration_seconds_bucket", "le", "0.5")).isZero();
        assertThat(m.value("dsp_vm_create_duration_seconds_count")).isZero();
    }

    @Test
    void cleanupRunsAreCountedByModeAndTheLastRealRunIsShown() {
        PoolMetrics metrics = new PoolMetrics(NOW);
        assertThat(scrape(metrics).all("dsp_cleanup_last_run_timestamp_seconds")).isEmpty();

        metrics.recordCleanup(true, 5, 5_000);
        PrometheusText dry = scrape(metrics);
        assertThat(dry.value("dsp_cleanup_runs_total", "mode", "dry_run")).isEqualTo(1);
        assertThat(dry.value("dsp_cleanup_moved_entries_total", "mode", "dry_run")).isEqualTo(5);
        assertThat(dry.value("dsp_cleanup_moved_bytes_total", "mode", "dry_run")).isEqualTo(5_000);
        // a dry run moves nothing: no "last run"
        assertThat(dry.all("dsp_cleanup_last_run_timestamp_seconds")).isEmpty();
        assertThat(dry.all("dsp_cleanup_runs_total", "mode", "run")).isEmpty();

        metrics.recordCleanup(false, 2, 300);
        PrometheusText m = scrape(metrics);
        assertThat(m.value("dsp_cleanup_runs_total", "mode", "run")).isEqualTo(1);
        assertThat(m.value("dsp_cleanup_moved_entries_total", "mode", "run")).isEqualTo(2);
        assertThat(m.value("dsp_cleanup_moved_bytes_total", "mode", "run")).isEqualTo(300);
        assertThat(m.value("dsp_cleanup_runs_total", "mode", "dry_run")).isEqualTo(1);
        assertThat(m.value("dsp_cleanup_last_run_timestamp_seconds")).isEqualTo(NOW.millis() / 1000.0);
        assertThat(m.value("dsp_cleanup_last_moved_entries")).isEqualTo(2);
        assertThat(m.value("dsp_cleanup_last_moved_bytes")).isEqualTo(300);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"400, invalid", "401, unauthorized", "403, forbidden", "404, not_found", "405, method_not_allowed", "409, conflict",
            "413, too_large", "503, unavailable", "507, insufficient_capacity", "500, internal", "502, internal", "499, http_499",
            "415, http_415"})
    void everyRefusalHasItsKindOfError(int status, String kind) {
        assertThat(PoolMetrics.errorKind(status)).isEqualTo(kind);
    }
}
