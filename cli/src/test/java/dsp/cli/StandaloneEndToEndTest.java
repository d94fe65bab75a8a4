package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.cli.client.CliFailure;
import dsp.cli.standalone.StandaloneServer;
import dsp.core.model.PoolCatalog;
import dsp.core.usecase.CapacityAdmission;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The standalone server for real (SQLite, server directories, HTTP) driven by poolctl's own commands. */
class StandaloneEndToEndTest {

    @TempDir
    Path data;


    private PoolctlRun poolctl(String... args) {
        return PoolctlRun.of(args);
    }

    @Test
    void demoExamplesAndRestart() throws Exception {
        int port;
        try (StandaloneServer server = new StandaloneServer(PoolCatalog.guideDefaults(), data, Clock.systemUTC())) {
            assertThat(server.seedDemoIfEmpty()).isTrue();
            port = server.start("127.0.0.1", 0);
            String url = "http://127.0.0.1:" + port;
            assertThat(Files.isDirectory(data.resolve("servers/k8s-server-1/k8s-storage-pool"))).isTrue();
            assertThat(Files.isDirectory(data.resolve("servers/vm-server-2/vm-storage-pool"))).isTrue();

            JsonNode s = status(url);
            assertThat(s.at("/k8s_pool/total_capacity_gb").asInt()).isEqualTo(3000);
            assertThat(s.at("/vm_pool/total_capacity_gb").asInt()).isEqualTo(3000);

            assertThat(poolctl("servers", "set-pool", "new-k8s-server", "k8s", "--server", url).code()).isZero();
            s = status(url);
            assertThat(s.at("/k8s_pool/servers").asInt()).isEqualTo(3);
            assertThat(s.at("/k8s_pool/total_capacity_gb").asInt()).isEqualTo(4500);
            assertThat(s.at("/system_reserve/total_capacity_gb").asInt()).isEqualTo(1500);

            assertThat(poolctl("servers", "set-pool", "new-k8s-server", "none", "--server", url).code()).isZero();
            assertThat(status(url).at("/k8s_pool/total_capacity_gb").asInt()).isEqualTo(3000);

            assertThat(poolctl("servers", "set-pool", "k8s-server-1", "vm", "--server", url).code()).isZero();
            s = status(url);
            assertThat(s.at("/k8s_pool/total_capacity_gb").asInt()).isEqualTo(1500);
            assertThat(s.at("/vm_pool/total_capacity_gb").asInt()).isEqualTo(4500);

            server.admission().admit(new CapacityAdmission.Request("disk", "vm", 900_000_000_000L, "vm-disk", Optional.empty()));

            PoolctlRun table = poolctl("status", "--server", url);
            assertThat(table.code()).isZero();
            assertThat(table.out()).contains("vm_pool").contains("4500 GB").contains("900 GB").contains("20.00%");

            server.measureNow(); // disks are measured in the background; this test does not wait for a pass
            PoolctlRun health = poolctl("health", "--server", url, "-o", "json");
            // the demo declares far more than a test machine's disk holds: a warning, exit 10
            assertThat(health.code()).isEqualTo(HealthCommand.WARNING);
            assertThat(health.out()).contains("declared capacity exceeds the real disk");

            PoolctlRun bad = poolctl("servers", "set-pool", "x", "nope", "--server", url);
            assertThat(bad.code()).isEqualTo(CliFailure.REFUSED);
            assertThat(bad.err()).startsWith("poolctl: pool 'nope' does not exist").doesNotContain("Exception");
            assertThat(bad.err().lines()).hasSize(1);
        }
        // a restart keeps everything, and --demo does not re-seed
        try (StandaloneServer again = new StandaloneServer(PoolCatalog.guideDefaults(), data, Clock.systemUTC())) {
            assertThat(again.seedDemoIfEmpty()).isFalse();
            String url = "http://127.0.0.1:" + again.start("127.0.0.1", 0);
            JsonNode s = status(url);
            assertThat(s.at("/k8s_pool/total_capacity_gb").asInt()).isEqualTo(1500);
            assertThat(s.at("/vm_pool/total_capacity_gb").asInt()).isEqualTo(4500);
            assertThat(s.at("/vm_pool/used_capacity_gb").asInt()).isEqualTo(900);
            PoolctlRun list = poolctl("servers", "list", "--server", url);
            assertThat(list.out()).contains("new-k8s-server").contains("k8s-server-1");
        }
    }

    @Test
    void withATokenChangesNeedItAndEveryChangeIsAudited() throws Exception {
        try (StandaloneServer server = new StandaloneServer(PoolCatalog.guideDefaults(), data, Clock.systemUTC())) {
            server.requireToken(Optional.of("s3cret"));
            String url = "http://127.0.0.1:" + server.start("127.0.0.1", 0);
            var http = java.net.http.HttpClient.newHttpClient();
            java.util.function.BiFunction<String, String, Integer> put = (auth, body) -> {
                var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/api/v1/servers/k8s-9"))
                        .header("Content-Type", "application/json").PUT(java.net.http.HttpRequest.BodyPublishers.ofString(body));
                if (auth != null) {
                    b.header("Authorization", auth);
                }
                try {
                    return http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            };
            assertThat(put.apply(null, "{\"pool\": \"k8s\"}")).isEqualTo(401);
            assertThat(put.apply("Bearer wrong", "{\"pool\": \"k8s\"}")).isEqualTo(401);
            assertThat(status(url).at("/k8s_pool/servers").asInt()).as("reads stay open; refused changes change nothing").isZero();
            assertThat(put.apply("Bearer s3cret", "{\"pool\": \"k8s\"}")).isEqualTo(201);
            assertThat(status(url).at("/k8s_pool/servers").asInt()).isEqualTo(1);

            java.util.List<String> audit = Files.readAllLines(data.resolve("audit.log"));
            assertThat(audit).hasSize(4);
            assertThat(audit.get(0)).contains("\"event\":\"refused\"").contains("\"method\":\"PUT\"")
                    .contains("\"path\":\"/api/v1/servers/k8s-9\"").contains("\"status\":401").contains("\"principal\":\"anonymous\"");
            // the change itself: its begin line is on disk before it runs, its end line says how it went
            assertThat(audit.get(2)).contains("\"event\":\"begin\"").contains("\"principal\":\"token\"");
            assertThat(audit.get(3)).contains("\"event\":\"end\"").contains("\"status\":201").contains("\"principal\":\"token\"");
        }
    }

    @Test
    void unreachableServerAndBadOptionsExitWithOneLine() {
        PoolctlRun r = poolctl("status", "--server", "http://127.0.0.1:9");
        assertThat(r.code()).isEqualTo(CliFailure.UNREACHABLE);
        assertThat(r.err().lines()).hasSize(1);
        assertThat(poolctl("status", "--server", "not a url").code()).isEqualTo(CliFailure.USAGE);
        assertThat(poolctl("status", "-o", "yaml").code()).isEqualTo(CliFailure.USAGE);
        assertThat(poolctl("servers", "set-pool", "../etc", "k8s").code()).isEqualTo(CliFailure.USAGE);
        assertThat(poolctl("frobnicate").code()).isEqualTo(CliFailure.USAGE);
    }

    @Test
    void aBadConfigurationFileIsOneClearLine() throws Exception {
        Path cfg = data.resolve("pools.yaml");
        Files.writeString(cfg, "pools:\n  - name: k8s\n    shares: 1T\n");
        PoolctlRun r = poolctl("standalone", "--config", cfg.toString(), "--data-dir", data.resolve("d").toString(), "--port", "0");
        assertThat(r.code()).isEqualTo(CliFailure.USAGE);
        assertThat(r.err()).contains("unknown key 'shares'");
    }

    private static JsonNode status(String url) throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var resp = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/api/v1/pools/status")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).isEqualTo(200);
        return new ObjectMapper().readTree(resp.body());
    }
}
