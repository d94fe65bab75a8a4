package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A small HTTP client for tests against a running server. */
final class Http {

    record Reply(int status, JsonNode json, String body) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    Http(String base) {
        this.base = base;
    }

    String base() {
        return base;
    }

    Reply get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET().build());
    }

    Reply post(String path, String body) {
        return send(post0(path, body));
    }

    Reply put(String path, String body) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(120)).PUT(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    CompletableFuture<Reply> deleteAsync(String path) {
        return client.sendAsync(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString()).thenApply(Http::reply);
    }

    Reply postWithHeader(String path, String body, String header, String value) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json").header(header, value)
                .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    Reply delete(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE().build());
    }

    CompletableFuture<Reply> postAsync(String path, String body) {
        return client.sendAsync(post0(path, body), HttpResponse.BodyHandlers.ofString()).thenApply(Http::reply);
    }

    private HttpRequest post0(String path, String body) {
        return HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private Reply send(HttpRequest r) {
        try {
            return reply(client.send(r, HttpResponse.BodyHandlers.ofString()));
        } catch (Exception e) {
            throw new AssertionError(r.uri() + ": " + e, e);
        }
    }

    private static Reply reply(HttpResponse<String> r) {
        JsonNode json = null;
        try {
            json = r.body().isBlank() ? null : JSON.readTree(r.body());
        } catch (Exception notJson) {
            // left null
        }
        return new Reply(r.statusCode(), json, r.body());
    }
}
