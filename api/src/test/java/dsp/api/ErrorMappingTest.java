package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.DomainException;
import io.javalin.http.HandlerType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.Supplier;
import org.eclipse.jetty.http.BadMessageException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every failure, wherever an adapter raised it, reaches the user as {@code {"error": {"code", "message"}}}
 * with the right status: a full disk is a 507 that says what to do, a storage failure a 500 that names
 * no host path, anything else a 500 with a log reference and nothing of the exception's text.
 */
class ErrorMappingTest {

    private static final String FAILING = "/api/v1/failing";
    private ApiHarness h;
    private Supplier<RuntimeException> failure;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    /** The API with one further route that fails the way an adapter under it would. */
    private JsonNode failWith(int expectedStatus, Supplier<RuntimeException> failure) {
        this.failure = failure;
        if (h == null) {
            h = new ApiHarness(api -> api.addRoute(HandlerType.GET, FAILING, ctx -> {
                throw this.failure.get();
            }));
        }
        ApiHarness.Reply r = h.get(FAILING);
        assertThat(r.status()).as(r.body()).isEqualTo(expectedStatus);
        assertThat(r.contentType()).startsWith("application/json");
        return r.json().get("error");
    }

    private static void assertDiskFull(JsonNode error) {
        assertThat(error.get("code").asText()).isEqualTo("disk_full");
        assertThat(error.get("message").asText()).isEqualTo("the disk holding the server's data is full; the request was not completed. "
                + "Free space (e.g. empty the pools' .trash) and retry");
    }

    @Test
    void aFullDiskIsA507WhereverItSurfaced() {
        assertDiskFull(failWith(507, () -> DomainException.noSpace("no room for vol-1 under /srv/dsp/k8s")));
        assertDiskFull(failWith(507, () -> DomainException.storageFailed("qemu-img: /srv/dsp/vm/web.qcow2: No space left on device")));
        assertDiskFull(failWith(507, () -> new UncheckedIOException(new IOException("write failed: No space left on device"))));
        // deep in a cause chain, as a use case wraps a port's failure
        assertDiskFull(failWith(507, () -> new IllegalStateException("could not record",
                new RuntimeException("wrapped", DomainException.noSpace("full")))));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"[SQLITE_FULL] Insertion failed because database is full", "database or disk is full",
            "Disk quota exceeded", "No space left on device"})
    void everySpellingOfAFullDiskIsRecognised(String message) {
        assertDiskFull(failWith(507, () -> new IllegalStateException("saving failed", new SQLException(message))));
    }

    @Test
    void aCauseChainThatLoopsIsWalkedOnceAndAnswered() {
        RuntimeException a = new RuntimeException("saving failed");
        RuntimeException b = new RuntimeException("retry failed", a);
        a.initCause(b); // a caused by b caused by a
        JsonNode error = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> failWith(500, () -> a),
                "the walk of a looping cause chain did not end");
        assertThat(error.get("code").asText()).isEqualTo("internal");
        RuntimeException full = new RuntimeException("write: No space left on device");
        RuntimeException outer = new RuntimeException("saving failed", full);
        full.initCause(outer);
        assertDiskFull(assertTimeoutPreemptively(Duration.ofSeconds(30), () -> failWith(507, () -> outer)));
    }

    @Test
    void aPathNoRouteMatchesIsA404ThatEchoesItCut() {
        h = new ApiHarness();
        ApiHarness.Reply r = h.get("/api/v1/nothing-" + "x".repeat(200) + "%0aSET-COOKIE");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().get("error").get("code").asText()).isEqualTo("not_found");
        assertThat(r.json().get("error").get("message").asText())
                .isEqualTo("no such endpoint: GET /api/v1/nothing-" + "x".repeat(64) + "...");
    }

    @Test
    void aStorageFailureIsA500ThatNamesTheFileButNotWhereTheServerKeepsIt() {
        JsonNode error = failWith(500, () -> DomainException.storageFailed(
                "qemu-img convert failed for /var/lib/dsp/pools/vm-storage-pool/web.qcow2: Input/output error"));
        assertThat(error.get("code").asText()).isEqualTo("storage_failed");
        assertThat(error.get("message").asText()).isEqualTo("qemu-img convert failed for web.qcow2: Input/output error");
    }

    @Test
    void anythingElseIsA500WithALogReferenceAndNothingOfTheException() {
        JsonNode error = failWith(500, () -> new IllegalStateException("boom in dsp.core.ledger.CapacityLedger at /var/lib/dsp"));
        assertThat(error.get("code").asText()).isEqualTo("internal");
        assertThat(error.get("message").asText()).matches("internal error \\(reference [0-9a-f-]{8}\\); the server log has the details");
        // a cause that is some other domain error is no full disk
        JsonNode conflict = failWith(500, () -> new IllegalStateException("failed", DomainException.conflict("busy")));
        assertThat(conflict.get("code").asText()).isEqualTo("internal");
    }

    @Test
    void domainRefusalsKeepTheirStatusAndMessageWithoutJavaNames() {
        JsonNode invalid = failWith(400, () -> DomainException.invalid("size must be positive, see dsp.core.model.Sizes"));
        assertThat(invalid.get("code").asText()).isEqualTo("invalid");
        assertThat(invalid.get("message").asText()).isEqualTo("size must be positive, see a value");
        assertThat(failWith(409, () -> DomainException.conflict("vm 'web' exists")).get("code").asText()).isEqualTo("conflict");
        JsonNode capacity = failWith(507, () -> DomainException.insufficientCapacity("the k8s pool has 3 GB left"));
        assertThat(capacity.get("code").asText()).isEqualTo("insufficient_capacity");
        assertThat(capacity.get("message").asText()).isEqualTo("the k8s pool has 3 GB left");
        JsonNode slow = failWith(408, () -> new BadMessageException(408, "Idle timeout in org.eclipse.jetty.io.IdleTimeout"));
        assertThat(slow.get("code").asText()).isEqualTo("request_timeout");
        assertThat(slow.get("message").asText()).isEqualTo("the request is malformed or too slow: Idle timeout in a value");
    }

    @Test
    void aRouteThatAnswers404ItselfKeepsItsOwnMessage() {
        h = new ApiHarness();
        ApiHarness.Reply r = h.get("/api/v1/servers/ghost");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().get("error").get("code").asText()).isEqualTo("not_found");
        assertThat(r.json().get("error").get("message").asText()).contains("ghost").doesNotContain("no such endpoint");
    }

    @Test
    void aMethodARouteDoesNotTakeIsA405ThatEchoesAtMost80CharactersOfThePath() {
        h = new ApiHarness();
        String path80 = "/api/v1/servers/" + "a".repeat(64);
        ApiHarness.Reply r = h.post(path80, "{}");
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.json().get("error").get("code").asText()).isEqualTo("method_not_allowed");
        assertThat(r.json().get("error").get("message").asText()).isEqualTo("POST is not allowed on " + path80);

        ApiHarness.Reply longer = h.post(path80 + "b", "{}");
        assertThat(longer.json().get("error").get("message").asText()).isEqualTo("POST is not allowed on " + path80 + "...");
    }

    @Test
    void aBodyOverTheLimitIsA413ThatSaysTheLimit() {
        h = new ApiHarness();
        ApiHarness.Reply r = h.put("/api/v1/servers/s1", "{\"pool\": \"" + "x".repeat(Requests.MAX_BODY_BYTES) + "\"}");
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().get("error").get("code").asText()).isEqualTo("too_large");
        assertThat(r.json().get("error").get("message").asText()).isEqualTo("request body is larger than 64 KiB");
        assertThat(h.inventory.listServers()).isEmpty();
    }

    @Test
    void aRequestJettyCannotParseIsAnsweredInTheSameJsonShape() throws Exception {
        h = new ApiHarness();
        try (RawHttp c = new RawHttp(h.port())) {
            RawHttp.Response r = c.exchange("GET /api/v1/pools/status HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n");
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.head()).containsIgnoringCase("Content-Type: application/json");
            JsonNode error = dsp.json.Json.MAPPER.readTree(r.body()).get("error");
            assertThat(error.get("code").asText()).isEqualTo("invalid");
            assertThat(error.get("message").asText()).startsWith("the request is malformed: ");
        }
        // a request Jetty refuses after parsing it (an asterisk-form target other than OPTIONS)
        try (RawHttp c = new RawHttp(h.port())) {
            RawHttp.Response r = c.exchange("GET * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.head()).containsIgnoringCase("Content-Type: application/json");
            assertThat(r.body()).isEqualTo("{\"error\":{\"code\":\"invalid\",\"message\":\"the request could not be served (400)\"}}");
        }
    }
}
