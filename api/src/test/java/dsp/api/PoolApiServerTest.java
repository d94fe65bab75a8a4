package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.javalin.Javalin;
import io.javalin.json.JavalinJackson;
import java.io.ByteArrayInputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server as an operator starts it: on the address and port asked and nowhere else, stopped
 * for good by {@link PoolApi#stop}, refusing changes while it may not write, reporting liveness and
 * readiness, and answering JSON a shell prompt survives.
 */
class PoolApiServerTest {

    private ApiHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void itListensOnTheAddressAndPortAskedAndNowhereElse() throws Exception {
        h = new ApiHarness();
        InetAddress other = InetAddress.getByName("127.0.0.2");
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, other)) {
            port = probe.getLocalPort();
        }
        h.api.stop();
        Javalin app = h.api.start("127.0.0.2", port);
        assertThat(h.port()).isEqualTo(port);
        assertThat(app.port()).as("the running server is returned").isEqualTo(port);
        try (RawHttp c = new RawHttp("127.0.0.2", port)) {
            assertThat(c.exchange(RawHttp.request("GET", "/api/v1/pools/status", "127.0.0.2:" + port, null)).status()).isEqualTo(200);
        }
        int asked = port;
        assertThatThrownBy(() -> new Socket("127.0.0.1", asked).close()).as("not on another address").isInstanceOf(ConnectException.class);
    }

    @Test
    void aStoppedServerNoLongerAcceptsConnections() {
        h = new ApiHarness();
        int port = h.port();
        assertThat(h.get("/healthz").status()).isEqualTo(200);
        h.api.stop();
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
    }

    @Test
    void changesAreRefusedWhileTheReplicaMayNotWriteAndReadsGoOn() {
        AtomicBoolean writable = new AtomicBoolean(false);
        h = new ApiHarness(api -> api.guardWrites(writable::get, "this replica does not hold the admission lease; ask the leader"));
        ApiHarness.Reply refused = h.put("/api/v1/servers/s1", "{\"pool\": \"k8s\"}");
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.json().get("error").get("code").asText()).isEqualTo("not_leader");
        assertThat(refused.json().get("error").get("message").asText())
                .isEqualTo("this replica does not hold the admission lease; ask the leader");
        assertThat(h.inventory.listServers()).isEmpty();
        assertThat(h.get("/api/v1/pools/status").status()).isEqualTo(200);
        writable.set(true);
        assertThat(h.put("/api/v1/servers/s1", "{\"pool\": \"k8s\"}").status()).isEqualTo(201);
    }

    @Test
    void healthzSaysWhyTheProcessCannotRecoverAndReadyzAnswers200WhenReady() {
        AtomicReference<Optional<String>> problem = new AtomicReference<>(Optional.empty());
        h = new ApiHarness(api -> api.livenessFrom(problem::get));
        ApiHarness.Reply ok = h.get("/healthz");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().get("status").asText()).isEqualTo("ok");
        problem.set(Optional.of("the database file is gone"));
        ApiHarness.Reply unhealthy = h.get("/healthz");
        assertThat(unhealthy.status()).isEqualTo(503);
        assertThat(unhealthy.json().get("status").asText()).isEqualTo("unhealthy");
        assertThat(unhealthy.json().get("reason").asText()).isEqualTo("the database file is gone");
        ApiHarness.Reply ready = h.get("/readyz");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.json().get("status").asText()).isEqualTo("ready");
    }

    @Test
    void aBlankTokenMeansChangesAreNotAuthenticatedAndTheDashboardSaysSo() {
        h = new ApiHarness(api -> api.requireToken(Optional.of("  ")));
        assertThat(h.put("/api/v1/servers/s1", "{\"pool\": \"k8s\"}").status()).isEqualTo(201);
        assertThat(h.get("/api/v1/dashboard").json().get("auth_required").asBoolean()).isFalse();
        h.close();
        h = new ApiHarness(api -> api.requireToken(Optional.of("s3cret")));
        assertThat(h.put("/api/v1/servers/s1", "{\"pool\": \"k8s\"}").status()).isEqualTo(401);
        assertThat(h.get("/api/v1/dashboard").json().get("auth_required").asBoolean()).isTrue();
    }

    @Test
    void aRouteGroupAddedBeforeStartIsServedBehindTheSameGate() {
        h = new ApiHarness(api -> assertThat(api.add(table -> table.get("/api/v1/extra", ctx -> ctx.json(Map.of("extra_field", 1)))))
                .as("add returns the api, for chaining").isSameAs(api));
        ApiHarness.Reply extra = h.get("/api/v1/extra");
        assertThat(extra.status()).isEqualTo(200);
        assertThat(extra.body()).isEqualTo("{\"extra_field\":1}\n");
    }

    @Test
    void jsonAnswersAreSnakeCaseAndEndWithANewline() throws Exception {
        h = new ApiHarness();
        ApiHarness.Reply created = h.put("/api/v1/servers/s1", "{\"pool\": \"k8s\"}");
        assertThat(created.body()).contains("\"capacity_gb\":").endsWith("}\n");
        assertThat(h.get("/api/v1/servers/ghost").body()).as("errors too").startsWith("{\"error\":").endsWith("}\n");

        NewlineJsonMapper mapper = new NewlineJsonMapper(new JavalinJackson(dsp.json.Json.MAPPER, false));
        assertThat(new String(mapper.toJsonStream(Map.of("a_b", 1), Map.class).readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("{\"a_b\":1}\n");
        Map<?, ?> fromString = mapper.fromJsonString("{\"a_b\": 2}", Map.class);
        assertThat(fromString).isEqualTo(Map.of("a_b", 2));
        Map<?, ?> fromStream = mapper.fromJsonStream(new ByteArrayInputStream("{\"a_b\": 3}".getBytes(StandardCharsets.UTF_8)), Map.class);
        assertThat(fromStream).isEqualTo(Map.of("a_b", 3));
    }

    @Test
    void requestsAreTimedUnderTheirRoutePatternNotTheirPath() {
        h = new ApiHarness();
        assertThat(h.put("/api/v1/servers/s1", "{\"pool\": \"k8s\"}").status()).isEqualTo(201);
        assertThat(h.get("/no/such/page").status()).isEqualTo(404);
        // counted by the request log once each answer is sent: wait for both
        PrometheusText m = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                .until(() -> new PrometheusText(h.get("/metrics").body()), t -> !t.all("dsp_http_requests_seconds_sum", "status", "404").isEmpty()
                        && !t.all("dsp_http_requests_seconds_sum", "route", "/api/v1/servers/{name}").isEmpty());
        assertThat(m.all("dsp_http_requests_seconds_count")).extracting(series -> series.labels().get("route"))
                .doesNotContain("/api/v1/servers/s1", "/no/such/page");
        assertThat(m.all("dsp_http_requests_seconds_count", "status", "404")).extracting(series -> series.labels().get("route"))
                .as("a path no route matches is one series, named so").containsExactly("unmatched");
        assertThat(m.value("dsp_http_requests_seconds_sum", "method", "PUT", "route", "/api/v1/servers/{name}"))
                .as("a request takes some time").isPositive();
    }
}
