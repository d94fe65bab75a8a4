package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.DomainException;
import dsp.core.health.FleetStatus;
import dsp.core.operation.Operations;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The operator's routes at api level: backup and restore as operations (202, Location, progress,
 * result, errors in the usual wording), downloads and deletes of backups, the refusal in a mode that
 * keeps none, asynchronous requests and how they are counted, and the capacity history window.
 */
class OpsRoutesTest {

    private ApiHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    /** Backups kept in memory; what a request asked for is remembered, so the test can check it reached the port. */
    static final class MemoryBackups implements Backups {
        final Map<String, byte[]> kept = new ConcurrentHashMap<>();
        final Set<String> deleted = ConcurrentHashMap.newKeySet();
        volatile Boolean lastWithDisks;
        volatile Boolean lastForce;
        volatile RuntimeException writeFailure;

        @Override
        public Written write(boolean withDisks, Operations.Progress progress) {
            lastWithDisks = withDisks;
            progress.progress(1, 2, "state");
            if (writeFailure != null) {
                throw writeFailure;
            }
            byte[] zip = "PK\u0003\u0004 backup".getBytes(StandardCharsets.ISO_8859_1);
            kept.put("backup-1.zip", zip);
            return new Written("backup-1.zip", zip.length, 4, 3, 1, 1, withDisks ? 1 : 0);
        }

        @Override
        public InputStream open(String name) {
            byte[] zip = kept.get(name);
            if (zip == null) {
                throw DomainException.notFound("no backup named '" + name + "'");
            }
            return new ByteArrayInputStream(zip);
        }

        @Override
        public void delete(String name) {
            if (kept.remove(name) == null) {
                throw DomainException.notFound("no backup named '" + name + "'");
            }
            deleted.add(name);
        }

        @Override
        public Received receive(InputStream body) {
            try {
                byte[] bytes = body.readAllBytes();
                kept.put("upload", bytes);
                return new Received("upload", bytes.length);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public Restoration restore(Received backup, boolean force, Runnable checked, Operations.Progress progress) {
            lastForce = force;
            if (!new String(kept.get(backup.name()), StandardCharsets.ISO_8859_1).startsWith("PK")) {
                throw DomainException.invalid("this is not a backup (no zip archive)");
            }
            checked.run();
            return new Restoration(4, 3, 1, 1, 0, 2, force ? Optional.of("set-aside-1") : Optional.empty());
        }
    }

    private final MemoryBackups backups = new MemoryBackups();

    private void startWithBackups() {
        h = new ApiHarness(api -> api.serveBackups(backups));
    }

    private JsonNode finished(String id) {
        return h.finishedOperation(id);
    }

    private HttpResponse<String> send(String method, String path, String contentType, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.port() + path))
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aBackupIsAnOperationWhoseResultSaysWhereToDownloadIt() throws Exception {
        startWithBackups();
        HttpResponse<String> r = send("POST", "/api/v1/backup", "application/json", "{}".getBytes());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        JsonNode accepted = dsp.json.Json.MAPPER.readTree(r.body());
        String id = accepted.get("id").asText();
        assertThat(r.headers().firstValue("Location")).contains("/api/v1/operations/" + id);
        assertThat(accepted.get("kind").asText()).isEqualTo("backup");
        assertThat(accepted.get("target").asText()).isEqualTo("state and templates");
        assertThat(accepted.get("href").asText()).isEqualTo("/api/v1/operations/" + id);
        assertThat(accepted.get("started_at").asText()).isNotBlank();

        JsonNode op = finished(id);
        assertThat(op.get("state").asText()).isEqualTo("succeeded");
        assertThat(op.get("finished_at").isNull()).isFalse();
        assertThat(op.get("error").isNull()).isTrue();
        assertThat(op.get("progress").get("done").asLong()).isEqualTo(2);
        assertThat(op.get("progress").get("total").asLong()).isEqualTo(2);
        assertThat(op.get("progress").get("percent").asDouble()).isEqualTo(100.0);
        assertThat(op.get("progress").get("step").asText()).isEqualTo("done");
        JsonNode result = op.get("result");
        assertThat(result.get("name").asText()).isEqualTo("backup-1.zip");
        assertThat(result.get("download").asText()).isEqualTo("/api/v1/backups/backup-1.zip");
        assertThat(result.get("servers").asInt()).isEqualTo(4);
        assertThat(result.get("volumes").asInt()).isEqualTo(3);
        assertThat(result.get("vms").asInt()).isEqualTo(1);
        assertThat(result.get("templates").asInt()).isEqualTo(1);
        assertThat(result.get("disks").asInt()).isZero();
        assertThat(result.get("bytes").asLong()).isEqualTo(backups.kept.get("backup-1.zip").length);
        assertThat(backups.lastWithDisks).isFalse();
        assertThat(h.get("/api/v1/operations").json().get("operations")).extracting(o -> o.get("id").asText()).contains(id);

        HttpResponse<byte[]> download = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + h.port() + "/api/v1/backups/backup-1.zip")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(download.headers().firstValue("Content-Type")).contains("application/zip");
        assertThat(download.headers().firstValue("Content-Disposition")).contains("attachment; filename=\"backup-1.zip\"");
        assertThat(download.body()).isEqualTo(backups.kept.get("backup-1.zip"));

        assertThat(h.delete("/api/v1/backups/backup-1.zip").status()).isEqualTo(204);
        assertThat(backups.deleted).containsExactly("backup-1.zip");
        assertThat(h.get("/api/v1/backups/backup-1.zip").status()).isEqualTo(404);
        assertThat(h.delete("/api/v1/backups/backup-1.zip").status()).isEqualTo(404);
    }

    @Test
    void withDisksIsPassedOnAndNamedInTheTarget() throws Exception {
        startWithBackups();
        JsonNode op = h.post("/api/v1/backup", "{\"with_disks\": true}").json();
        assertThat(op.get("target").asText()).isEqualTo("state, templates and stopped VMs' disks");
        assertThat(finished(op.get("id").asText()).get("result").get("disks").asInt()).isEqualTo(1);
        assertThat(backups.lastWithDisks).isTrue();

        JsonNode without = h.post("/api/v1/backup", "{\"with_disks\": false}").json();
        assertThat(without.get("target").asText()).isEqualTo("state and templates");
        finished(without.get("id").asText());
        assertThat(backups.lastWithDisks).isFalse();

        // no body at all: state and templates
        HttpResponse<String> empty = send("POST", "/api/v1/backup", null, new byte[0]);
        assertThat(empty.statusCode()).as(empty.body()).isEqualTo(202);
        finished(dsp.json.Json.MAPPER.readTree(empty.body()).get("id").asText());
        assertThat(backups.lastWithDisks).isFalse();
    }

    @Test
    void aFailedOperationSaysWhyInTheUsualWording() {
        startWithBackups();
        backups.writeFailure = DomainException.storageFailed("cannot write /var/lib/dsp/backups/backup-1.zip: Input/output error");
        JsonNode op = finished(h.post("/api/v1/backup", "{}").json().get("id").asText());
        assertThat(op.get("state").asText()).isEqualTo("failed");
        assertThat(op.get("result").isNull()).isTrue();
        assertThat(op.get("error").get("code").asText()).isEqualTo("storage_failed");
        assertThat(op.get("error").get("message").asText()).isEqualTo("cannot write backup-1.zip: Input/output error");

        backups.writeFailure = DomainException.conflict("vm 'web' is running at /run/web; stop it (see dsp.core.vm.VmView)");
        JsonNode busy = finished(h.post("/api/v1/backup", "{\"with_disks\": true}").json().get("id").asText());
        assertThat(busy.get("error").get("code").asText()).isEqualTo("conflict");
        assertThat(busy.get("error").get("message").asText()).isEqualTo("vm 'web' is running at /run/web; stop it (see a value)");
    }

    @Test
    void aServerThatKeepsNoBackupsSaysHowToBackUpInstead() {
        h = new ApiHarness();
        ApiHarness.Reply r = h.post("/api/v1/backup", "{}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").get("message").asText()).startsWith("this server keeps no backups")
                .contains("poolctl backup FILE --kubeconfig FILE");
        assertThat(h.delete("/api/v1/backups/x.zip").status()).isEqualTo(400);
        assertThat(h.get("/api/v1/operations").json().get("operations")).isEmpty();
    }

    @Test
    void aRestoreIsCheckedThenRunsAsAnOperationForcedOnlyWhenAsked() throws Exception {
        startWithBackups();
        byte[] zip = "PK\u0003\u0004 sent".getBytes(StandardCharsets.ISO_8859_1);
        HttpResponse<String> r = send("POST", "/api/v1/restore", "application/zip", zip);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        JsonNode accepted = dsp.json.Json.MAPPER.readTree(r.body());
        assertThat(r.headers().firstValue("Location")).contains("/api/v1/operations/" + accepted.get("id").asText());
        assertThat(accepted.get("target").asText()).isEqualTo("backup of " + zip.length + " bytes");
        JsonNode result = finished(accepted.get("id").asText()).get("result");
        assertThat(result.get("servers").asInt()).isEqualTo(4);
        assertThat(result.get("recreated").asInt()).isEqualTo(2);
        assertThat(result.get("set_aside").isNull()).isTrue();
        assertThat(backups.lastForce).isFalse();

        HttpResponse<String> forced = send("POST", "/api/v1/restore?force=true", "application/zip", zip);
        JsonNode forcedOp = dsp.json.Json.MAPPER.readTree(forced.body());
        assertThat(forcedOp.get("target").asText()).isEqualTo("backup of " + zip.length + " bytes (forced)");
        assertThat(finished(forcedOp.get("id").asText()).get("result").get("set_aside").asText()).isEqualTo("set-aside-1");
        assertThat(backups.lastForce).isTrue();

        assertThat(send("POST", "/api/v1/restore?force=false", "application/zip", zip).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> Boolean.FALSE.equals(backups.lastForce));
    }

    @Test
    void aRestoreThatFailsItsChecksIsRefusedAtOnceAndLeavesNoOperation() throws Exception {
        startWithBackups();
        HttpResponse<String> r = send("POST", "/api/v1/restore", "application/zip", "not a zip".getBytes());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("this is not a backup");
        assertThat(h.get("/api/v1/operations").json().get("operations")).isEmpty();
    }

    @ParameterizedTest(name = "force={0}")
    @ValueSource(strings = {"yes", "1", "TRUE"})
    void forceIsTrueOrFalseOnly(String value) throws Exception {
        startWithBackups();
        HttpResponse<String> r = send("POST", "/api/v1/restore?force=" + value, "application/zip", "PK".getBytes());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(dsp.json.Json.MAPPER.readTree(r.body()).get("error").get("message").asText())
                .isEqualTo("force must be true or false, not '" + value + "'");
        assertThat(backups.lastForce).isNull();
    }

    // ---- asynchronous requests ----

    private void vmServers() {
        assertThat(h.put("/api/v1/servers/vm-1", "{\"pool\": \"vm\"}").status()).isEqualTo(201);
    }

    private static String vm(String name) {
        return "{\"name\": \"" + name + "\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"storage\": 50}";
    }

    @Test
    void aClientAsksForAnOperationWithAsyncTrueOrPreferRespondAsync() throws Exception {
        h = new ApiHarness();
        vmServers();
        ApiHarness.Reply plain = h.post("/api/v1/vms?async=false", vm("plain"));
        assertThat(plain.status()).as(plain.body()).isEqualTo(201);
        assertThat(h.post("/api/v1/vms", vm("plain-2")).status()).isEqualTo(201);

        ApiHarness.Reply query = h.post("/api/v1/vms?async=true", vm("queued"));
        assertThat(query.status()).as(query.body()).isEqualTo(202);
        assertThat(query.json().get("kind").asText()).isEqualTo("vm_create");
        assertThat(query.json().get("target").asText()).isEqualTo("default/queued");

        HttpResponse<String> prefer = send("POST", "/api/v1/vms", "application/json", vm("preferred").getBytes(),
                "Prefer", "respond-async, wait=5");
        assertThat(prefer.statusCode()).as(prefer.body()).isEqualTo(202);
        assertThat(finished(query.json().get("id").asText()).get("state").asText()).isEqualTo("succeeded");
        assertThat(finished(dsp.json.Json.MAPPER.readTree(prefer.body()).get("id").asText()).get("state").asText()).isEqualTo("succeeded");

        ApiHarness.Reply bad = h.post("/api/v1/vms?async=maybe", vm("never"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("error").get("message").asText()).isEqualTo("async must be true or false, not 'maybe'");
        assertThat(h.get("/api/v1/vms/never").status()).isEqualTo(404);
    }

    @Test
    void anOperationIsCountedOnceWhenItEndsNotAlsoByThe202ThatStartedIt() {
        h = new ApiHarness();
        vmServers();
        assertThat(h.post("/api/v1/vms", vm("sync")).status()).isEqualTo(201);
        ApiHarness.Reply async = h.post("/api/v1/vms?async=true", vm("async"));
        assertThat(async.status()).isEqualTo(202);
        finished(async.json().get("id").asText());

        PrometheusText m = await().atMost(Duration.ofSeconds(20)).until(() -> new PrometheusText(h.get("/metrics").body()),
                t -> !t.all("dsp_http_requests_seconds_count", "route", "/api/v1/vms", "status", "202").isEmpty());
        assertThat(m.value("dsp_operations_total", "operation", "vm_create", "outcome", "success")).isEqualTo(2);
    }

    // ---- capacity history ----

    /** Records the fleet's figures as of {@code ago} before now (what the sampler does every few seconds). */
    private void sampledAgo(Duration ago) {
        FleetStatus status = h.services.queries().status();
        h.services.history().record(status.checkedAt(Instant.now().minus(ago)));
    }

    @Test
    void historyReturnsTheSamplesOfTheAskedWindowOldestFirst() {
        h = new ApiHarness();
        vmServers();
        sampledAgo(Duration.ofMinutes(45));
        sampledAgo(Duration.ofMinutes(10));

        JsonNode all = h.get("/api/v1/history").json();
        assertThat(all.get("retention_hours").asInt()).isEqualTo(72);
        assertThat(all.get("samples")).hasSize(4) // two pools, two moments, oldest first
                .extracting(s -> Instant.parse(s.get("at").asText())).isSorted();
        assertThat(h.get("/api/v1/history?hours=1").json().get("samples")).hasSize(4);
        JsonNode recent = h.get("/api/v1/history?hours=0.5").json().get("samples");
        assertThat(recent).hasSize(2).allSatisfy(s -> assertThat(Instant.parse(s.get("at").asText()))
                .isAfter(Instant.now().minus(Duration.ofMinutes(30))));
        assertThat(recent).extracting(s -> s.get("pool").asText()).containsExactlyInAnyOrder("k8s", "vm");
        assertThat(h.get("/api/v1/history?hours=8760").status()).isEqualTo(200);
    }

    @ParameterizedTest(name = "hours={0}")
    @ValueSource(strings = {"0", "-1", "8760.5", "NaN", "a-day"})
    void historyRefusesAWindowThatIsNotAPositiveNumberOfHoursUpToAYear(String hours) {
        h = new ApiHarness();
        ApiHarness.Reply r = h.get("/api/v1/history?hours=" + hours);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").get("message").asText()).isEqualTo("hours must be a positive number of hours, not '" + hours + "'");
    }
}
