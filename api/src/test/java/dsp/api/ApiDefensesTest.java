package dsp.api;

import dsp.json.Json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The defects of issue 9 that crafted requests found: each test fails on the code before the fix.
 * Cross-site requests, foreign Host names, duplicate keys, Java names in errors, a token that
 * stopped being case-sensitive on a reused connection, and slow bodies that starved everyone.
 */
class ApiDefensesTest {

    private ApiHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private HttpResponse<String> put(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.port() + path))
                .PUT(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode error(String body) throws Exception {
        JsonNode e = Json.MAPPER.readTree(body).get("error");
        assertThat(e).as(body).isNotNull();
        assertThat(e.get("code").asText()).isNotBlank();
        assertThat(e.get("message").asText()).isNotBlank();
        return e;
    }

    @ParameterizedTest(name = "Content-Type: {0}")
    @ValueSource(strings = {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp",
            "text/json"})
    void aBodyNotDeclaredJsonIsRefusedAndChangesNothing(String type) throws Exception {
        h = new ApiHarness();
        HttpResponse<String> r = put("/api/v1/servers/s1", "{\"pool\": \"k8s\"}", "Content-Type", type);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(415);
        error(r.body());
        assertThat(h.inventory.listServers()).isEmpty();
        assertThat(put("/api/v1/servers/s1", "{\"pool\": \"k8s\"}", "Content-Type", "application/json; charset=utf-8").statusCode())
                .isEqualTo(201);
    }

    @Test
    void aChangeFromAnotherWebSiteIsRefused() throws Exception {
        h = new ApiHarness();
        String json = "application/json";
        assertThat(put("/api/v1/servers/a", "{\"pool\": \"k8s\"}", "Content-Type", json, "Origin", "http://evil.example").statusCode())
                .isEqualTo(403);
        assertThat(put("/api/v1/servers/a", "{\"pool\": \"k8s\"}", "Content-Type", json, "Origin", "null").statusCode()).isEqualTo(403);
        assertThat(put("/api/v1/servers/a", "{\"pool\": \"k8s\"}", "Content-Type", json, "Sec-Fetch-Site", "cross-site").statusCode())
                .isEqualTo(403);
        assertThat(put("/api/v1/servers/a", "{\"pool\": \"k8s\"}", "Content-Type", json, "Sec-Fetch-Site", "same-site").statusCode())
                .isEqualTo(403);
        assertThat(h.inventory.listServers()).isEmpty();
        // the dashboard's own page, and tools that send neither header, are fine
        assertThat(put("/api/v1/servers/a", "{\"pool\": \"k8s\"}", "Content-Type", json,
                "Origin", "http://127.0.0.1:" + h.port(), "Sec-Fetch-Site", "same-origin").statusCode()).isEqualTo(201);
        assertThat(put("/api/v1/servers/b", "{\"pool\": \"k8s\"}", "Content-Type", json).statusCode()).isEqualTo(201);
    }

    @Test
    void aHostNameThatIsNotThisServerIsRefusedEvenForReads() throws Exception {
        h = new ApiHarness();
        try (RawHttp c = new RawHttp(h.port())) {
            RawHttp.Response rebound = c.exchange(RawHttp.request("GET", "/api/v1/pools/status", "attacker.example:" + h.port(), null));
            assertThat(rebound.status()).as(rebound.body()).isEqualTo(421);
            error(rebound.body());
            RawHttp.Response change = c.exchange(RawHttp.request("PUT", "/api/v1/servers/x", "attacker.example", "{\"pool\": \"k8s\"}",
                    "Content-Type: application/json"));
            assertThat(change.status()).isEqualTo(421);
            assertThat(h.inventory.listServers()).isEmpty();
            for (String host : List.of("localhost:" + h.port(), "127.0.0.1:" + h.port(), "LOCALHOST", "[::1]:" + h.port())) {
                assertThat(c.exchange(RawHttp.request("GET", "/api/v1/pools/status", host, null)).status()).as(host).isEqualTo(200);
            }
        }
    }

    @Test
    void duplicateKeysAreRefused() throws Exception {
        h = new ApiHarness();
        HttpResponse<String> r = put("/api/v1/servers/s1", "{\"pool\": \"k8s\", \"pool\": \"vm\"}", "Content-Type", "application/json");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r.body()).get("message").asText()).contains("duplicate field 'pool'");
        assertThat(h.inventory.listServers()).isEmpty();
    }

    @ParameterizedTest(name = "[{index}]")
    @ValueSource(strings = {"{\"pool\": \"k8s\"} {}", "{\"pool\": \"k8s\"} [", "[1]", "\"k8s\"", "42", "{\"pool\": {}}", "{\"pool\": [1]}",
            "{\"pool\": true}", "{\"pool\": \"k8s\", \"capacity\": true}", "{\"pool\": \"k8s\", \"capacity\": {\"a\": 1}}",
            "{\"pool\": \"k8s\", \"capacity\": 1e999}", "{\"pool\": \"k8s\", \"capacity\": -1e999}", "{\"pool\": 99999999999999999999}",
            "{\"pool\": \"k8s\"", "{\"pool\" \"k8s\"}", "{pool: 1}", "\u0000", "{\"pool\": \"\\ud800\"}"})
    void errorsNameNoJavaTypeAndChangeNothing(String body) throws Exception {
        h = new ApiHarness();
        HttpResponse<String> r = put("/api/v1/servers/s1", body, "Content-Type", "application/json");
        assertThat(r.statusCode()).as(r.body()).isBetween(400, 499);
        String message = error(r.body()).get("message").asText();
        assertThat(message).as(r.body()).doesNotContainPattern("\\b(java|javax|com|org|dsp|io)\\.[a-z]+\\.")
                .doesNotContain("JsonNode").doesNotContain("Exception").doesNotContain("`").doesNotContain("(class ");
        assertThat(h.inventory.listServers()).isEmpty();
    }

    @Test
    void theTokenIsComparedExactlyEvenOnAReusedConnection() throws Exception {
        h = new ApiHarness(api -> api.requireToken(Optional.of("S3cret-Token")));
        try (RawHttp c = new RawHttp(h.port())) {
            String host = "127.0.0.1:" + h.port();
            assertThat(c.exchange(RawHttp.request("PUT", "/api/v1/servers/a", host, "{\"pool\": \"k8s\"}",
                    "Content-Type: application/json", "Authorization: Bearer S3cret-Token")).status()).isEqualTo(201);
            // same connection: Jetty's per-connection header cache must not map these onto the header above
            for (String wrong : List.of("Authorization: Bearer s3cret-token", "Authorization: Bearer S3CRET-TOKEN",
                    "authorization: bearer S3cret-Token", "Authorization: BEARER S3cret-Token")) {
                RawHttp.Response r = c.exchange(RawHttp.request("PUT", "/api/v1/servers/b", host, "{\"pool\": \"k8s\"}",
                        "Content-Type: application/json", wrong));
                assertThat(r.status()).as(wrong).isEqualTo(401);
            }
        }
        assertThat(h.inventory.listServers()).extracting(s -> s.name()).containsExactly("a");
    }

    @Test
    void threeHundredSlowBodiesDoNotStarveOtherClients() throws Exception {
        h = new ApiHarness();
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                Socket s = new Socket("127.0.0.1", h.port());
                s.getOutputStream().write(("PUT /api/v1/servers/slow-" + i + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"po").getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();
                slow.add(s);
            }
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            List<CompletableFuture<HttpResponse<String>>> others = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                others.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.port() + "/api/v1/servers/quick-" + i))
                        .timeout(Duration.ofSeconds(5)).header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"pool\": \"vm\"}")).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> f : others) {
                HttpResponse<String> answer = f.get(10, TimeUnit.SECONDS);
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
            }
            System.out.println("[suite] slow bodies: 300 trickling connections held open; 20 other clients served");
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
        assertThat(h.inventory.listServers()).hasSize(20).allMatch(s -> s.name().startsWith("quick-"));
    }

    @Test
    void anOversizedBodyIsA413AndChangesNothing() throws Exception {
        h = new ApiHarness();
        HttpResponse<String> r = put("/api/v1/servers/s1", "{\"pool\": \"k8s\", \"x\": \"" + "a".repeat(3_000_000) + "\"}",
                "Content-Type", "application/json");
        assertThat(r.statusCode()).isEqualTo(413);
        error(r.body());
        assertThat(h.inventory.listServers()).isEmpty();
    }
}
