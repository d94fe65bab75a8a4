package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.json.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which Host names the server answers to follows from where it listens and the names it is given;
 * which Origins may make a change; which bodies must be declared JSON. Each refusal changes nothing.
 */
class RequestGuardTest {

    private ApiHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    /** The harness's API listening on {@code bind} instead, answering also to {@code names}. */
    private void listenOn(String bind, Set<String> names) {
        h = new ApiHarness(api -> api.allowHosts(names));
        h.api.stop();
        h.api.start(bind, 0);
    }

    private int status(String connectTo, String method, String path, String host, String body, String... headers) throws IOException {
        try (RawHttp c = new RawHttp(connectTo, h.port())) {
            return c.exchange(RawHttp.request(method, path, host, body, headers)).status();
        }
    }

    private int read(String host) throws IOException {
        return status("127.0.0.1", "GET", "/api/v1/pools/status", host, null);
    }

    private RawHttp.Response change(String origin) throws IOException {
        try (RawHttp c = new RawHttp(h.port())) {
            return c.exchange(RawHttp.request("PUT", "/api/v1/servers/s1", "127.0.0.1:" + h.port(), "{\"pool\": \"k8s\"}",
                    "Content-Type: application/json", "Origin: " + origin));
        }
    }

    private ApiHarness.Reply post(String path, String contentType, String body) throws IOException {
        try (RawHttp c = new RawHttp(h.port())) {
            RawHttp.Response r = c.exchange(RawHttp.request("POST", path, "127.0.0.1:" + h.port(), body, "Content-Type: " + contentType));
            return new ApiHarness.Reply(r.status(), r.body(), "");
        }
    }

    private static JsonNode error(RawHttp.Response r) throws IOException {
        return Json.MAPPER.readTree(r.body()).get("error");
    }

    @Test
    void onLoopbackTheLoopbackNamesAndTheGivenNamesAreAnswered() throws Exception {
        h = new ApiHarness(api -> api.allowHosts(Set.of("Pools.Example.")));
        int port = h.port();
        for (String host : Set.of("pools.example:" + port, "POOLS.EXAMPLE", "pools.example.", "localhost.:" + port, "127.0.0.1",
                "[::1]")) {
            assertThat(read(host)).as(host).isEqualTo(200);
        }
        try (RawHttp c = new RawHttp(port)) {
            RawHttp.Response r = c.exchange(RawHttp.request("GET", "/api/v1/pools/status", "other.example:" + port, null));
            assertThat(r.status()).isEqualTo(421);
            assertThat(error(r).get("code").asText()).isEqualTo("misdirected");
            assertThat(error(r).get("message").asText()).startsWith("this server does not answer to the host name 'other.example:" + port
                    + "'; use one of [").contains("pools.example").contains("localhost").endsWith("] (or start it with --allowed-host)");
        }
    }

    @Test
    void onLocalhostByNameTheLoopbackAddressesAreAnswered() throws Exception {
        listenOn("localhost", Set.of());
        assertThat(status("localhost", "GET", "/api/v1/pools/status", "127.0.0.1:" + h.port(), null)).isEqualTo(200);
        assertThat(status("localhost", "GET", "/api/v1/pools/status", "[::1]:" + h.port(), null)).isEqualTo(200);
        assertThat(status("localhost", "GET", "/api/v1/pools/status", "evil.example", null)).isEqualTo(421);
    }

    @Test
    void onAnotherLoopbackAddressThatAddressAndTheLoopbackNamesAreAnswered() throws Exception {
        listenOn("127.0.0.2", Set.of());
        assertThat(status("127.0.0.2", "GET", "/api/v1/pools/status", "127.0.0.2:" + h.port(), null)).isEqualTo(200);
        assertThat(status("127.0.0.2", "GET", "/api/v1/pools/status", "localhost", null)).isEqualTo(200);
        assertThat(status("127.0.0.2", "GET", "/api/v1/pools/status", "pools.example", null)).isEqualTo(421);
    }

    /** An address of this machine that is not loopback, as the server would be bound to on a LAN. */
    private static String lanAddress() throws IOException {
        return java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()).stream()
                .filter(i -> {
                    try {
                        return i.isUp() && !i.isLoopback();
                    } catch (java.net.SocketException e) {
                        return false;
                    }
                })
                .flatMap(i -> java.util.Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .map(InetAddress::getHostAddress).findFirst()
                .orElseThrow(() -> new AssertionError("this test needs a non-loopback IPv4 address on this machine (ip -br addr shows none)"));
    }

    @Test
    void onAnAddressOfTheLanOnlyThatAddressAndTheGivenNamesAreAnswered() throws Exception {
        String lan = lanAddress();
        listenOn(lan, Set.of("pools.example"));
        assertThat(status(lan, "GET", "/api/v1/pools/status", lan + ":" + h.port(), null)).isEqualTo(200);
        assertThat(status(lan, "GET", "/api/v1/pools/status", "pools.example", null)).isEqualTo(200);
        assertThat(status(lan, "GET", "/api/v1/pools/status", "rebound.example", null)).isEqualTo(421);
        assertThat(status(lan, "GET", "/api/v1/pools/status", "localhost", null)).as("not listening on loopback").isEqualTo(421);
    }

    @Test
    void onEveryInterfaceWithNoNamesAnyHostIsAnswered() throws Exception {
        for (String wildcard : new String[] {"0.0.0.0", "::"}) {
            listenOn(wildcard, Set.of());
            assertThat(read("pools.example")).as(wildcard).isEqualTo(200);
            assertThat(read("10.1.2.3:" + h.port())).as(wildcard).isEqualTo(200);
            h.close();
        }
        h = null;
    }

    @Test
    void onEveryInterfaceWithNamesOnlyThoseAndLoopbackAreAnswered() throws Exception {
        listenOn("0.0.0.0", Set.of("pools.example"));
        assertThat(read("pools.example:" + h.port())).isEqualTo(200);
        assertThat(read("localhost:" + h.port())).isEqualTo(200);
        assertThat(read("127.0.0.1")).isEqualTo(200);
        assertThat(read("10.1.2.3:" + h.port())).isEqualTo(421);
        assertThat(read("0.0.0.0")).isEqualTo(421);
    }

    @Test
    void aChangeIsAcceptedOnlyFromThisServersOwnOriginOverHttpOrHttps() throws Exception {
        h = new ApiHarness();
        int port = h.port();
        for (String foreign : new String[] {"ftp://127.0.0.1:" + port, "http://127.0.0.1:" + (port == 1 ? 2 : port - 1), "http:/x",
                "http://[not-a-host", "file:///etc", "https://127.0.0.1"}) {
            RawHttp.Response r = change(foreign);
            assertThat(r.status()).as(foreign).isEqualTo(403);
            assertThat(error(r).get("code").asText()).isEqualTo("cross_origin");
            assertThat(error(r).get("message").asText())
                    .isEqualTo("changes are not accepted from another web site; use poolctl, curl or this server's own dashboard");
        }
        assertThat(h.inventory.listServers()).isEmpty();
        assertThat(change("https://127.0.0.1:" + port).status()).isEqualTo(201);
        try (RawHttp c = new RawHttp(port)) {
            // a page the user typed in (none) and one of this server's own are fine
            assertThat(c.exchange(RawHttp.request("PUT", "/api/v1/servers/s2", "127.0.0.1:" + port, "{\"pool\": \"vm\"}",
                    "Content-Type: application/json", "Sec-Fetch-Site: none")).status()).isEqualTo(201);
            // a read from another site is answered: it changes nothing
            assertThat(c.exchange(RawHttp.request("GET", "/api/v1/pools/status", "127.0.0.1:" + port, null,
                    "Origin: http://evil.example", "Sec-Fetch-Site: cross-site")).status()).isEqualTo(200);
        }
        assertThat(h.inventory.listServers()).extracting(s -> s.name()).containsExactlyInAnyOrder("s1", "s2");
    }

    @Test
    void aChangeWithAnOriginButNoHostIsRefused() throws Exception {
        h = new ApiHarness();
        try (RawHttp c = new RawHttp(h.port())) {
            String body = "{\"pool\": \"k8s\"}";
            RawHttp.Response r = c.exchange("PUT /api/v1/servers/s1 HTTP/1.0\r\nContent-Type: application/json\r\nOrigin: http://127.0.0.1:"
                    + h.port() + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            assertThat(r.status()).as(r.body()).isEqualTo(403);
        }
        assertThat(h.inventory.listServers()).isEmpty();
    }

    @Test
    void onlyARestoreMaySendAZipEveryOtherBodyMustBeDeclaredJson() throws Exception {
        h = new ApiHarness();
        ApiHarness.Reply zipVolume = post("/api/v1/volumes", "application/zip", "{\"name\": \"v\", \"pool\": \"k8s\", \"size\": 1}");
        assertThat(zipVolume.status()).as(zipVolume.body()).isEqualTo(415);
        assertThat(zipVolume.json().get("error").get("message").asText())
                .isEqualTo("a request body must be JSON sent with the header Content-Type: application/json");
        ApiHarness.Reply zipRestore = post("/api/v1/restore", "Application/Zip; x=1", "PK");
        assertThat(zipRestore.status()).as("past the guard, to the route").isEqualTo(400);
        assertThat(zipRestore.json().get("error").get("message").asText()).startsWith("this server keeps no backups");
        ApiHarness.Reply textRestore = post("/api/v1/restore", "text/plain", "PK");
        assertThat(textRestore.status()).isEqualTo(415);
        try (RawHttp c = new RawHttp(h.port())) {
            // a chunked body declares no length, and still must be declared JSON
            RawHttp.Response chunked = c.exchange("PUT /api/v1/servers/s1 HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "f\r\n{\"pool\": \"k8s\"}\r\n0\r\n\r\n");
            assertThat(chunked.status()).isEqualTo(415);
        }
        assertThat(h.inventory.listServers()).isEmpty();
        assertThat(h.store.listAllocations()).isEmpty();
    }
}
