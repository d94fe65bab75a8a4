package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.model.VolumeFormat;
import dsp.core.vm.Template;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the template, drain, volume, VM and cleanup routes answer: each outcome the user acts on
 * (a disk released or deleted, a dry run or the real thing, a 202 and the operation that follows
 * it), and a target that does not exist is a 404 at once rather than a failed operation.
 */
class RouteOutcomesTest {

    private static final Pattern OPERATION_ID = Pattern.compile("op-[0-9a-f]{8}");

    private final ApiHarness h = new ApiHarness();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void fleet() {
        assertThat(h.put("/api/v1/servers/vm-1", "{\"pool\": \"vm\"}").status()).isEqualTo(201);
        assertThat(h.put("/api/v1/servers/vm-2", "{\"pool\": \"vm\"}").status()).isEqualTo(201);
    }

    @AfterEach
    void stop() {
        h.close();
    }

    /** With {@code Prefer: respond-async}: the 202, checked to point at its operation. */
    private JsonNode accepted(String path, String body, String kind, String target) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.port() + path))
                .header("Content-Type", "application/json").header("Prefer", "respond-async")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        JsonNode op = dsp.json.Json.MAPPER.readTree(r.body());
        assertThat(op.get("id").asText()).matches(OPERATION_ID);
        assertThat(r.headers().firstValue("Location")).contains("/api/v1/operations/" + op.get("id").asText());
        assertThat(op.get("kind").asText()).isEqualTo(kind);
        assertThat(op.get("target").asText()).isEqualTo(target);
        return h.finishedOperation(op.get("id").asText());
    }

    private JsonNode createVm(String name) {
        ApiHarness.Reply r = h.post("/api/v1/vms", "{\"name\": \"" + name + "\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json();
    }

    private String createVolume(String name) {
        ApiHarness.Reply r = h.post("/api/v1/volumes", "{\"name\": \"" + name + "\", \"pool\": \"vm\", \"size\": 10}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    @Test
    void aTemplateCountsTheDisksMadeFromItAndIsDeletedOnlyWhenItHasNone() {
        createVm("web");
        createVolume("plain");
        JsonNode ubuntu = h.get("/api/v1/templates/ubuntu22").json();
        assertThat(ubuntu.get("children").asLong()).as("the VM's disk, not the plain volume").isEqualTo(1);
        assertThat(h.get("/api/v1/templates").json().get("templates").get(0).get("children").asLong()).isEqualTo(1);
        assertThat(h.delete("/api/v1/templates/ubuntu22").status()).isEqualTo(409);

        h.volumes.withTemplate(new Template("debian12", VolumeFormat.QCOW2, 5_000_000_000L, 100_000L));
        assertThat(h.get("/api/v1/templates/debian12").json().get("children").asLong()).isZero();
        assertThat(h.delete("/api/v1/templates/debian12").status()).isEqualTo(204);
        assertThat(h.get("/api/v1/templates/debian12").status()).isEqualTo(404);
        assertThat(h.volumes.findTemplate("debian12")).isEmpty();
    }

    @Test
    void optimizingSaysWhatItSavedAtOnceOrAsAnOperation() throws Exception {
        JsonNode now = h.post("/api/v1/templates/ubuntu22/optimize", "{}").json();
        assertThat(now.get("name").asText()).isEqualTo("ubuntu22");
        assertThat(now.get("bytes_before").asLong()).isEqualTo(200_000L);
        assertThat(now.get("bytes_after").asLong()).isEqualTo(200_000L);
        assertThat(now.get("saved_bytes").asLong()).isZero();

        JsonNode op = accepted("/api/v1/templates/ubuntu22/optimize", "{}", "template_optimize", "ubuntu22");
        assertThat(op.get("state").asText()).isEqualTo("succeeded");
        assertThat(op.get("result").get("saved_bytes").asLong()).isZero();
        assertThat(op.get("result").get("bytes_before").asLong()).isEqualTo(200_000L);

        ApiHarness.Reply ghost = h.send("POST", "/api/v1/templates/ghost/optimize?async=true", "{}");
        assertThat(ghost.status()).isEqualTo(404);
        assertThat(h.get("/api/v1/operations").json().get("operations")).hasSize(1);
    }

    @Test
    void anImportGoesToTheLibraryByFileOrByUrlAndAnAsyncOneFailsAsItsOperation() throws Exception {
        ApiHarness.Reply byFile = h.post("/api/v1/templates", "{\"name\": \"debian12\", \"source\": \"debian12.qcow2\"}");
        assertThat(byFile.status()).isEqualTo(400);
        assertThat(byFile.json().get("error").get("message").asText()).isEqualTo("this in-memory library cannot import files");

        ApiHarness.Reply byUrl = h.post("/api/v1/templates", "{\"name\": \"debian12\", \"url\": \"https://example.com/debian12.qcow2\","
                + " \"sha256\": \"" + "ab".repeat(32) + "\"}");
        assertThat(byUrl.status()).isEqualTo(400);
        assertThat(byUrl.json().get("error").get("message").asText()).isEqualTo("this template library cannot import by URL");

        JsonNode op = accepted("/api/v1/templates", "{\"name\": \"debian12\", \"source\": \"debian12.qcow2\"}", "template_import", "debian12");
        assertThat(op.get("state").asText()).isEqualTo("failed");
        assertThat(op.get("error").get("message").asText()).isEqualTo("this in-memory library cannot import files");

        ApiHarness.Reply badName = h.send("POST", "/api/v1/templates?async=true", "{\"name\": \"Bad_Name\", \"source\": \"x.qcow2\"}");
        assertThat(badName.status()).as("refused at once, not as an operation").isEqualTo(400);
        assertThat(h.get("/api/v1/operations").json().get("operations")).hasSize(1);
        assertThat(h.volumes.listTemplates()).extracting(Template::name).containsExactly("ubuntu22");
    }

    @Test
    void aDrainShowsItsPlanOrDrainsAndNamesTheVmOfEachDisk() throws Exception {
        JsonNode vm = createVm("web");
        String server = vm.get("node").asText();

        JsonNode plan = h.post("/api/v1/servers/" + server + "/drain?dry_run=true", "{}").json();
        assertThat(plan.get("server").asText()).isEqualTo(server);
        assertThat(plan.get("dry_run").asBoolean()).isTrue();
        assertThat(plan.get("moved").asLong()).isZero();
        assertThat(plan.get("not_moved").asLong()).isEqualTo(1);
        JsonNode disk = plan.get("volumes").get(0);
        assertThat(disk.get("id").asText()).isEqualTo(vm.get("disk_id").asText());
        assertThat(disk.get("vm_id").asText()).isEqualTo(vm.get("id").asText());
        assertThat(disk.get("vm").asText()).isEqualTo("default/web");
        assertThat(disk.get("action").asText()).isEqualTo("stays");

        JsonNode drained = h.post("/api/v1/servers/" + server + "/drain?dry_run=false", "{}").json();
        assertThat(drained.get("dry_run").asBoolean()).isFalse();
        assertThat(drained.get("volumes").get(0).get("vm").asText()).isEqualTo("default/web");

        JsonNode op = accepted("/api/v1/servers/" + server + "/drain", "{}", "drain", server);
        assertThat(op.get("state").asText()).isEqualTo("succeeded");
        assertThat(op.get("result").get("dry_run").asBoolean()).isFalse();
        assertThat(op.get("result").get("volumes").get(0).get("vm_id").asText()).isEqualTo(vm.get("id").asText());

        assertThat(h.send("POST", "/api/v1/servers/ghost/drain?async=true", "{}").status()).isEqualTo(404);
        assertThat(h.get("/api/v1/operations").json().get("operations")).hasSize(1);
        assertThat(h.store.listAllocations()).hasSize(1);
    }

    @Test
    void aVmCreatedAsAnOperationIsItsResult() throws Exception {
        JsonNode op = accepted("/api/v1/vms", "{\"name\": \"web\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\"}", "vm_create",
                "default/web");
        assertThat(op.get("state").asText()).isEqualTo("succeeded");
        JsonNode vm = op.get("result");
        assertThat(vm.get("name").asText()).isEqualTo("web");
        assertThat(h.get("/api/v1/vms/" + vm.get("id").asText()).json().get("disk_id").asText()).isEqualTo(vm.get("disk_id").asText());
    }

    @Test
    void aVolumeOrVmDiskInARetainPoolIsReleasedUnlessPurged() {
        String kept = createVolume("kept");
        String purged = createVolume("purged");
        JsonNode released = h.delete("/api/v1/volumes/" + kept + "?purge=false").json();
        assertThat(released.get("id").asText()).isEqualTo(kept);
        assertThat(released.get("result").asText()).isEqualTo("released");
        assertThat(h.delete("/api/v1/volumes/" + purged + "?purge=true").json().get("result").asText()).isEqualTo("deleted");
        assertThat(h.store.findAllocation(purged)).isEmpty();
        assertThat(h.store.findAllocation(kept)).isPresent();

        JsonNode web = createVm("web");
        JsonNode db = createVm("db");
        JsonNode webGone = h.delete("/api/v1/vms/" + web.get("id").asText()).json();
        assertThat(webGone.get("deleted").asText()).isEqualTo(web.get("id").asText());
        assertThat(webGone.get("disk").get("id").asText()).isEqualTo(web.get("disk_id").asText());
        assertThat(webGone.get("disk").get("result").asText()).isEqualTo("released");
        assertThat(h.delete("/api/v1/vms/" + db.get("id").asText() + "?purge=true").json().get("disk").get("result").asText())
                .isEqualTo("deleted");
        assertThat(h.store.findAllocation(db.get("disk_id").asText())).isEmpty();
    }

    @Test
    void aCleanupRunsAtOnceOrAsAnOperationAndAnUnknownRunIsA404() throws Exception {
        JsonNode dry = h.post("/api/v1/cleanup?dry_run=true", "{}").json();
        assertThat(dry.get("dry_run").asBoolean()).isTrue();
        assertThat(h.post("/api/v1/cleanup", "{}").json().get("dry_run").asBoolean()).isFalse();

        JsonNode real = accepted("/api/v1/cleanup", "{}", "cleanup", "all servers");
        assertThat(real.get("result").get("dry_run").asBoolean()).isFalse();
        JsonNode dryOp = accepted("/api/v1/cleanup?dry_run=true", "{}", "cleanup", "dry run");
        assertThat(dryOp.get("result").get("dry_run").asBoolean()).isTrue();

        // every run is counted, at once or as an operation: two dry runs and two real ones
        PrometheusText m = new PrometheusText(h.get("/metrics").body());
        assertThat(m.value("dsp_cleanup_runs_total", "mode", "dry_run")).isEqualTo(2);
        assertThat(m.value("dsp_cleanup_runs_total", "mode", "run")).isEqualTo(2);

        ApiHarness.Reply unknown = h.get("/api/v1/cleanup/r-nope");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("error").get("message").asText())
                .isEqualTo("no server is part of cleanup run 'r-nope' (a newer run replaced it, or it never ran)");
    }

    @Test
    void anUnknownPoolIsA404ThatListsThePools() {
        ApiHarness.Reply r = h.get("/api/v1/pools/nope");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().get("error").get("message").asText()).isEqualTo("pool 'nope' does not exist; pools are [k8s, vm]");
    }
}
