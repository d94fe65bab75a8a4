package dsp.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/** Talks to a poolctl server's HTTP API; API errors become {@link CliFailure}s with the server's message. */
public final class ApiClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final java.util.function.Supplier<java.util.Optional<String>> token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Sends {@code $POOLCTL_TOKEN} as the bearer token, if set. */
    public ApiClient(String server) {
        this(server, () -> java.util.Optional.ofNullable(System.getenv("POOLCTL_TOKEN")).filter(t -> !t.isBlank()));
    }

    /** @param token read before each request (a projected ServiceAccount token file rotates) */
    public ApiClient(String server, java.util.function.Supplier<java.util.Optional<String>> token) {
        this.token = token;
        try {
            URI u = URI.create(server.endsWith("/") ? server.substring(0, server.length() - 1) : server);
            if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null) {
                throw new IllegalArgumentException();
            }
            this.base = u;
        } catch (IllegalArgumentException e) {
            throw new CliFailure(CliFailure.USAGE, "--server '" + server + "' is not an http(s) URL such as http://localhost:8080");
        }
    }

    public JsonNode get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    public JsonNode put(String path, JsonNode body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    public JsonNode post(String path, JsonNode body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    /** A long request run as an operation on the server (Prefer: respond-async): the answer is the operation to follow. */
    public JsonNode postAsync(String path, JsonNode body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .header("Prefer", "respond-async").POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    public JsonNode delete(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).DELETE());
    }

    /** Saves a (large) answer to {@code target}, by way of a temporary file next to it. */
    public void download(String path, java.nio.file.Path target) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).GET();
        token.get().ifPresent(t -> request.header("Authorization", "Bearer " + t.strip()));
        java.nio.file.Path temporary = target.toAbsolutePath().resolveSibling(".tmp-" + target.getFileName());
        try {
            HttpResponse<java.nio.file.Path> r = http.send(request.build(), HttpResponse.BodyHandlers.ofFile(temporary));
            if (r.statusCode() >= 400) {
                String message = "HTTP " + r.statusCode();
                try {
                    message = JSON.readTree(temporary.toFile()).path("error").path("message").asText(message);
                } catch (IOException notJson) {
                    // keep the status
                }
                throw new CliFailure(CliFailure.REFUSED, message + " (HTTP " + r.statusCode() + ")");
            }
            java.nio.file.Files.move(temporary, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (ConnectException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "cannot reach " + base + ": connection refused");
        } catch (IOException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "cannot download " + path + " to " + target + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure(CliFailure.UNREACHABLE, "interrupted");
        } finally {
            try {
                java.nio.file.Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // nothing left to tidy that matters
            }
        }
    }

    public static ObjectMapper json() {
        return JSON;
    }

    private JsonNode send(HttpRequest.Builder request) {
        token.get().ifPresent(t -> request.header("Authorization", "Bearer " + t.strip()));
        HttpResponse<String> r;
        try {
            r = http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "cannot reach " + base + ": connection refused (is `make run` or `poolctl standalone` running?)");
        } catch (HttpTimeoutException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "cannot reach " + base + ": timed out");
        } catch (IOException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "cannot reach " + base + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure(CliFailure.UNREACHABLE, "interrupted");
        }
        JsonNode body = null;
        if (r.body() != null && !r.body().isBlank()) {
            try {
                body = JSON.readTree(r.body());
            } catch (IOException e) {
                body = null;
            }
        }
        if (r.statusCode() >= 400) {
            String message = body != null && body.has("error")
                    ? body.get("error").path("message").asText() : "HTTP " + r.statusCode();
            throw new CliFailure(CliFailure.REFUSED, message + " (HTTP " + r.statusCode() + ")");
        }
        return body == null ? JSON.createObjectNode() : body;
    }
}
