package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.json.Json;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What one client may take holds at its exact boundaries: a body of exactly the limit is read, one
 * byte more is a 413 (declared or chunked); a body that stops arriving is a 408 once the body timeout
 * or the idle timeout runs out; a request head over its limit is a 431; an idle connection is
 * closed. Every refusal is the usual JSON error, closes the connection and changes nothing.
 */
class BodyLimitsTest {

    /** Generous: the limits under test are a second; this only keeps a broken server from hanging the suite. */
    private static final Duration WAIT = Duration.ofSeconds(20);

    private ApiHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private static HttpLimits limits(Duration idle, Duration body, int maxBody, int maxHeader) {
        return new HttpLimits(48, 2000, idle, body, maxBody, maxHeader);
    }

    /** {@code {"pool": "vm"}} padded with spaces to exactly {@code bytes} bytes. */
    private static String body(int bytes) {
        String json = "{\"pool\": \"vm\"}";
        return json + " ".repeat(bytes - json.length());
    }

    private String host() {
        return "127.0.0.1:" + h.port();
    }

    private static String chunked(String path, String host, String body) {
        return "PUT " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
    }

    private static void assertRefused(RawHttp.Response r, int status, String code, String message) throws IOException {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.head()).containsIgnoringCase("Content-Type: application/json").containsIgnoringCase("Connection: close");
        JsonNode error = Json.MAPPER.readTree(r.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).isEqualTo(message);
    }

    @Test
    void aBodyOfExactlyTheLimitIsReadAndOneByteMoreIsA413() throws Exception {
        h = new ApiHarness();
        try (RawHttp c = new RawHttp(h.port())) {
            RawHttp.Response exact = c.exchange(RawHttp.request("PUT", "/api/v1/servers/exact", host(), body(Requests.MAX_BODY_BYTES),
                    "Content-Type: application/json"));
            assertThat(exact.status()).as(exact.body()).isEqualTo(201);
        }
        try (RawHttp c = new RawHttp(h.port())) {
            assertRefused(c.exchange(RawHttp.request("PUT", "/api/v1/servers/over", host(), body(Requests.MAX_BODY_BYTES + 1),
                    "Content-Type: application/json")), 413, "too_large", "request body is larger than 64 KiB");
            assertThat(c.isClosedByServer()).isTrue();
        }
        assertThat(h.inventory.listServers()).extracting(s -> s.name()).containsExactly("exact");
    }

    @Test
    void aChunkedBodyHasTheSameLimitThoughItDeclaresNoLength() throws Exception {
        h = new ApiHarness(api -> api.limits(limits(Duration.ofSeconds(30), Duration.ofSeconds(30), 2048, 8192)));
        try (RawHttp c = new RawHttp(h.port())) {
            RawHttp.Response exact = c.exchange(chunked("/api/v1/servers/exact", host(), body(2048)));
            assertThat(exact.status()).as(exact.body()).isEqualTo(201);
            assertRefused(c.exchange(chunked("/api/v1/servers/over", host(), body(2049))), 413, "too_large",
                    "request body is larger than 2 KiB");
            assertThat(c.isClosedByServer()).isTrue();
        }
        try (RawHttp c = new RawHttp(h.port())) {
            // declared too large: refused before a byte of it is read
            assertRefused(c.exchange(RawHttp.request("PUT", "/api/v1/servers/declared", host(), body(2049),
                    "Content-Type: application/json")), 413, "too_large", "request body is larger than 2 KiB");
        }
        assertThat(h.inventory.listServers()).extracting(s -> s.name()).containsExactly("exact");
    }

    /** Sends 8 of the 100 body bytes it declares and waits for the answer: the 408 that {@code message} says. */
    private void assertAStalledBodyIsRefused(HttpLimits limits, String message) throws Exception {
        h = new ApiHarness(api -> api.limits(limits));
        try (RawHttp c = new RawHttp(h.port()).readTimeout(WAIT)) {
            c.send("PUT /api/v1/servers/slow HTTP/1.1\r\nHost: " + host() + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"pool\":");
            assertRefused(c.read(), 408, "request_timeout", message);
            assertThat(c.isClosedByServer()).isTrue();
        }
        assertThat(h.inventory.listServers()).isEmpty();
    }

    @Test
    void aBodyThatStopsArrivingIsA408WhenTheBodyTimeoutRunsOut() throws Exception {
        assertAStalledBodyIsRefused(limits(Duration.ofMinutes(5), Duration.ofSeconds(1), 2048, 8192),
                "the request body did not arrive within 1 s");
    }

    @Test
    void aConnectionIdleInTheMiddleOfABodyIsA408WhenTheIdleTimeoutRunsOut() throws Exception {
        assertAStalledBodyIsRefused(limits(Duration.ofSeconds(1), Duration.ofMinutes(5), 2048, 8192), "the request body did not arrive in time");
    }

    @Test
    void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        h = new ApiHarness(api -> api.limits(limits(Duration.ofSeconds(1), Duration.ofSeconds(10), 2048, 8192)));
        try (RawHttp c = new RawHttp(h.port()).readTimeout(WAIT)) {
            assertThat(c.exchange(RawHttp.request("GET", "/api/v1/pools/status", host(), null)).status()).isEqualTo(200);
            assertThat(c.isClosedByServer()).as("closed by the server, not by our read timeout").isTrue();
        }
    }

    @Test
    void aRequestHeadOverItsLimitIsA431InTheUsualShape() throws Exception {
        h = new ApiHarness(api -> api.limits(limits(Duration.ofSeconds(30), Duration.ofSeconds(10), 2048, 2048)));
        try (RawHttp c = new RawHttp(h.port())) {
            assertThat(c.exchange(RawHttp.request("GET", "/api/v1/pools/status", host(), null, "X-Pad: " + "a".repeat(1500))).status())
                    .isEqualTo(200);
        }
        try (RawHttp c = new RawHttp(h.port())) {
            RawHttp.Response r = c.exchange(RawHttp.request("GET", "/api/v1/pools/status", host(), null, "X-Pad: " + "a".repeat(3000)));
            assertThat(r.status()).isEqualTo(431);
            assertThat(r.head()).containsIgnoringCase("Content-Type: application/json");
            assertThat(Json.MAPPER.readTree(r.body()).get("error").get("code").asText()).isEqualTo("headers_too_large");
        }
    }
}
