package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import dsp.core.usecase.CapacityAdmission;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PoolApiTest {

    private final ApiHarness h = new ApiHarness();

    @AfterEach
    void stop() {
        h.close();
    }

    private void label(String server, String pool) {
        String body = pool == null ? "{\"pool\": null}" : "{\"pool\": \"" + pool + "\"}";
        assertThat(h.put("/api/v1/servers/" + server, body).status()).isIn(200, 201);
    }

    @Test
    void guideStatusJsonWithItsExactFieldsAndNumbers() {
        label("k8s-1", "k8s");
        label("k8s-2", "k8s");
        label("k8s-3", "k8s");
        label("vm-1", "vm");
        label("vm-2", "vm");
        h.admission.admit(new CapacityAdmission.Request("app", "k8s", 1200_000_000_000L, "volume", Optional.empty()));
        h.admission.admit(new CapacityAdmission.Request("disk", "vm", 800_000_000_000L, "vm-disk", Optional.empty()));

        ApiHarness.Reply r = h.get("/api/v1/pools/status");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.contentType()).startsWith("application/json");
        assertThat(r.body()).contains("\"k8s_pool\":{\"servers\":3,\"total_capacity_gb\":4500,\"used_capacity_gb\":1200,"
                + "\"available_capacity_gb\":3300,\"usage_percentage\":26.67");
        assertThat(r.body()).contains("\"vm_pool\":{\"servers\":2,\"total_capacity_gb\":3000,\"used_capacity_gb\":800,"
                + "\"available_capacity_gb\":2200,\"usage_percentage\":26.67");
        assertThat(r.body()).contains("\"system_reserve\":{\"total_servers\":5,\"total_capacity_gb\":1500,");

        JsonNode health = h.get("/api/v1/pools/health").json();
        assertThat(health.get("status").asText()).isEqualTo("healthy");
        assertThat(health.get("pools").get("k8s_pool").asText()).isEqualTo("healthy");
        assertThat(health.get("pools").get("vm_pool").asText()).isEqualTo("healthy");
        assertThat(health.get("warnings")).isEmpty();
        assertThat(health.get("errors")).isEmpty();
    }

    @Test
    void healthListsTheServersWhoseDiskFailsItsCheckUnlessAskedToLeaveThemOut() {
        label("k8s-1", "k8s");
        label("vm-1", "vm");
        label("vm-2", "vm");
        long gb = 1_000_000_000L;
        // k8s-1's disk holds its 1.5 TB share and the reserve; the vm servers' 1 TB disks do not
        h.ledger.measured(new ServerDiskUsage("k8s-1", Map.of("k8s", 0L), 0, "fs-a", 4_000 * gb, 4_000 * gb, Map.of(), Optional.empty()),
                Instant.parse("2026-11-26T12:00:00Z"));
        for (String vm : new String[] {"vm-1", "vm-2"}) {
            h.ledger.measured(new ServerDiskUsage(vm, Map.of("vm", 0L), 0, "fs-" + vm, 1_000 * gb, 1_000 * gb, Map.of(), Optional.empty()),
                    Instant.parse("2026-11-26T12:00:00Z"));
        }

        JsonNode full = h.get("/api/v1/pools/health").json();
        assertThat(full.get("servers").properties()).extracting(Map.Entry::getKey).containsExactly("vm-1", "vm-2");
        assertThat(withoutCheckedAt(h.get("/api/v1/pools/health?servers=true").json())).isEqualTo(withoutCheckedAt(full));

        ApiHarness.Reply brief = h.get("/api/v1/pools/health?servers=false");
        assertThat(brief.status()).isEqualTo(200);
        ObjectNode expected = withoutCheckedAt(full);
        expected.remove("servers");
        assertThat(withoutCheckedAt(brief.json())).as("everything else as in the full answer").isEqualTo(expected);
        assertThat(brief.json().get("warnings").toString()).contains("vm-1", "vm-2");
        assertThat(brief.json().get("checked_at").asText()).isNotEmpty();

        ApiHarness.Reply bad = h.get("/api/v1/pools/health?servers=no");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("error").get("message").asText()).isEqualTo("servers must be true or false, not 'no'");
    }

    /** A copy without the time the figures were read (the harness runs on the real clock). */
    private static ObjectNode withoutCheckedAt(JsonNode health) {
        ObjectNode copy = health.deepCopy();
        copy.remove("checked_at");
        return copy;
    }

    @Test
    void examples1To3ThroughTheServerApi() {
        label("k8s-1", "k8s");
        label("k8s-2", "k8s");
        label("vm-1", "vm");
        label("vm-2", "vm");
        assertCapacities(3000, 3000);
        label("new-k8s-server", "k8s"); // example 1
        assertCapacities(4500, 3000);
        label("new-k8s-server", null); // example 2
        assertCapacities(3000, 3000);
        label("k8s-1", "vm"); // example 3
        assertCapacities(1500, 4500);
        assertThat(h.get("/api/v1/servers/new-k8s-server").json().get("pool").isNull()).isTrue();
    }

    private void assertCapacities(int k8s, int vm) {
        JsonNode s = h.get("/api/v1/pools/status").json();
        assertThat(s.get("k8s_pool").get("total_capacity_gb").asInt()).isEqualTo(k8s);
        assertThat(s.get("k8s_pool").get("servers").asInt()).isEqualTo(k8s / 1500);
        assertThat(s.get("vm_pool").get("total_capacity_gb").asInt()).isEqualTo(vm);
        assertThat(s.get("vm_pool").get("servers").asInt()).isEqualTo(vm / 1500);
    }

    @Test
    void serverLifecycle() {
        ApiHarness.Reply created = h.put("/api/v1/servers/big-1", "{\"pool\": \"vm\", \"capacity\": \"4T\"}");
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.json().get("capacity_gb").asInt()).isEqualTo(4000);
        assertThat(created.json().get("capacity_override").asBoolean()).isTrue();
        assertThat(h.put("/api/v1/servers/big-1", "{\"pool\": \"k8s\"}").status()).isEqualTo(200);
        assertThat(h.get("/api/v1/pools/k8s").json().get("total_capacity_gb").asInt()).isEqualTo(4000);
        assertThat(h.get("/api/v1/servers").json().get("servers")).hasSize(1);
        h.admission.admit(new CapacityAdmission.Request("v", "k8s", 10_000_000_000L, "volume", Optional.empty()));
        ApiHarness.Reply busy = h.delete("/api/v1/servers/big-1");
        assertThat(busy.status()).isEqualTo(409);
        assertThat(busy.json().get("error").get("message").asText()).contains("still holds 1 allocation");
        // leaving the pool keeps the server and its data; the volume becomes stranded
        assertThat(h.put("/api/v1/servers/big-1", "{\"pool\": null}").status()).isEqualTo(200);
        JsonNode status = h.get("/api/v1/pools/status").json();
        assertThat(status.get("k8s_pool").get("stranded_volumes").asInt()).isEqualTo(1);
        assertThat(h.get("/api/v1/pools/health").json().get("status").asText()).isEqualTo("warning");
        assertThat(h.store.listAllocations()).hasSize(1);
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @CsvSource(delimiter = '|', value = {
            "PUT|/api/v1/servers/s1|{not json|400",
            "PUT|/api/v1/servers/s1||400",
            "PUT|/api/v1/servers/s1|[1,2]|400",
            "PUT|/api/v1/servers/s1|{}|400",
            "PUT|/api/v1/servers/s1|{\"pool\": \"nope\"}|400",
            "PUT|/api/v1/servers/s1|{\"pool\": 5}|400",
            "PUT|/api/v1/servers/s1|{\"pool\": \"k8s\", \"colour\": 1}|400",
            "PUT|/api/v1/servers/s1|{\"pool\": \"k8s\", \"capacity\": -5}|400",
            "PUT|/api/v1/servers/s1|{\"pool\": \"k8s\", \"capacity\": \"9000000E\"}|400",
            "PUT|/api/v1/servers/s1|{\"pool\": \"k8s\", \"capacity\": \"lots\"}|400",
            "PUT|/api/v1/servers/s1|{\"pool\": \"k8s\", \"capacity\": 0}|400",
            "PUT|/api/v1/servers/Bad_Name|{\"pool\": \"k8s\"}|400",
            "PUT|/api/v1/servers/..|{\"pool\": \"k8s\"}|400",
            "GET|/api/v1/servers/ghost||404",
            "DELETE|/api/v1/servers/ghost||404",
            "GET|/api/v1/pools/nope||404",
            "GET|/api/v1/nothing-here||404",
            "POST|/api/v1/pools/status|{}|405"})
    void badInputGetsAClearJsonErrorAndChangesNothing(String method, String path, String body, int expected) {
        ApiHarness.Reply r = h.send(method, path, body);
        assertThat(r.status()).isEqualTo(expected);
        JsonNode error = r.json().get("error");
        assertThat(error).isNotNull();
        assertThat(error.get("code").asText()).isNotBlank();
        assertThat(error.get("message").asText()).isNotBlank().doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(h.inventory.listServers()).isEmpty();
    }

    @Test
    void theDashboardShowsThePoolsFromTheApi() {
        ApiHarness.Reply page = h.get("/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.contentType()).startsWith("text/html");
        assertThat(page.body()).contains("<title>Dynamic Storage Pools</title>").contains("/api/v1/dashboard")
                .as("its data is inlined for the first paint").contains("\"status\":{\"k8s_pool\":{\"servers\":")
                .doesNotContain("/*INITIAL_DATA*/");
    }

    @Test
    void probesAndMetrics() {
        label("k8s-1", "k8s");
        assertThat(h.get("/healthz").status()).isEqualTo(200);
        assertThat(h.get("/readyz").json().get("status").asText()).isEqualTo("ready");
        ApiHarness.Reply m = h.get("/metrics");
        assertThat(m.status()).isEqualTo(200);
        assertThat(m.body()).contains("dsp_pool_capacity_bytes{pool=\"k8s\"} 1.5E12");
        assertThat(m.body()).contains("dsp_pool_servers{pool=\"vm\"} 0.0");
        assertThat(m.body()).contains("dsp_http_requests_seconds_count{method=\"PUT\"");
    }
}
