package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The audit trail of change requests: a begin entry before the change runs and an end entry with its
 * status after, under the request id the client sees; a refused request one "refused" entry; and no
 * change at all when the begin entry cannot be written (507 when the disk is full, 503 otherwise).
 */
class AuditingTest {

    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");

    private final List<AuditTrail.Entry> written = new CopyOnWriteArrayList<>();
    private volatile IOException failure;
    private ApiHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private void start(Optional<String> token) {
        h = new ApiHarness(api -> {
            api.clock(Clock.fixed(NOW, ZoneOffset.UTC));
            api.requireToken(token);
            api.auditTo(entry -> {
                if (failure != null) {
                    throw failure;
                }
                written.add(entry);
            });
        });
    }

    private HttpResponse<String> put(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.port() + path))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aChangeIsRecordedBeforeItRunsAndAfterWithItsStatusUnderTheRequestIdTheClientSees() throws Exception {
        start(Optional.of("S3cret-Token"));
        HttpResponse<String> r = put("/api/v1/servers/s1", "{\"pool\": \"k8s\"}", "Authorization", "Bearer S3cret-Token");
        assertThat(r.statusCode()).isEqualTo(201);
        String id = r.headers().firstValue("X-Request-Id").orElseThrow();
        assertThat(id).isNotBlank();

        await().atMost(Duration.ofSeconds(10)).until(() -> written.size() >= 2);
        assertThat(written).hasSize(2);
        AuditTrail.Entry begin = written.get(0);
        AuditTrail.Entry end = written.get(1);
        assertThat(begin).isEqualTo(new AuditTrail.Entry("2026-11-26T12:00:00Z", id, "begin", "PUT", "/api/v1/servers/s1", null,
                "127.0.0.1", begin.principal()));
        assertThat(begin.principal()).isNotBlank().isNotEqualTo(Authentication.ANONYMOUS);
        assertThat(end).isEqualTo(new AuditTrail.Entry("2026-11-26T12:00:00Z", id, "end", "PUT", "/api/v1/servers/s1", 201,
                "127.0.0.1", begin.principal()));

        // every request gets its own id; a read is not recorded
        HttpResponse<String> again = put("/api/v1/servers/s2", "{\"pool\": \"k8s\"}", "Authorization", "Bearer S3cret-Token");
        assertThat(again.headers().firstValue("X-Request-Id").orElseThrow()).isNotEqualTo(id);
        assertThat(h.get("/api/v1/servers").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> written.size() >= 4);
        assertThat(written).extracting(AuditTrail.Entry::event).containsExactly("begin", "end", "begin", "end");
    }

    @Test
    void aChangeRefusedBeforeItRanIsRecordedOnceAsRefused() throws Exception {
        start(Optional.of("S3cret-Token"));
        HttpResponse<String> r = put("/api/v1/servers/s1", "{\"pool\": \"k8s\"}");
        assertThat(r.statusCode()).isEqualTo(401);

        await().atMost(Duration.ofSeconds(10)).until(() -> !written.isEmpty());
        assertThat(written).singleElement().satisfies(e -> {
            assertThat(e.event()).isEqualTo("refused");
            assertThat(e.status()).isEqualTo(401);
            assertThat(e.principal()).isEqualTo(Authentication.ANONYMOUS);
            assertThat(e.request()).isEqualTo(r.headers().firstValue("X-Request-Id").orElseThrow());
        });
        assertThat(h.inventory.listServers()).isEmpty();
    }

    @Test
    void whenTheBeginEntryCannotBeWrittenNothingChanges() throws Exception {
        start(Optional.empty());
        failure = new IOException("write audit.log: No space left on device");
        HttpResponse<String> full = put("/api/v1/servers/s1", "{\"pool\": \"k8s\"}");
        assertThat(full.statusCode()).isEqualTo(507);
        assertThat(h.get("/api/v1/servers/s1").status()).isEqualTo(404);
        assertThat(dsp.json.Json.MAPPER.readTree(full.body()).get("error").get("code").asText()).isEqualTo("disk_full");
        assertThat(dsp.json.Json.MAPPER.readTree(full.body()).get("error").get("message").asText())
                .isEqualTo("the audit log cannot be written because the disk is full, so no change is made; free space and retry");

        failure = new IOException("audit.log: Permission denied");
        HttpResponse<String> denied = put("/api/v1/servers/s1", "{\"pool\": \"k8s\"}");
        assertThat(denied.statusCode()).isEqualTo(503);
        assertThat(dsp.json.Json.MAPPER.readTree(denied.body()).get("error").get("code").asText()).isEqualTo("audit_unavailable");
        assertThat(h.inventory.listServers()).isEmpty();

        failure = null; // the trail is back: changes run again
        assertThat(put("/api/v1/servers/s1", "{\"pool\": \"k8s\"}").statusCode()).isEqualTo(201);
        assertThat(h.inventory.listServers()).hasSize(1);
    }
}
