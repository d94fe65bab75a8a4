package dsp.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Talks to a poolctl server's HTTP API; API errors become {@link CliFailure}s with the server's message.
 * One request per {@link HttpURLConnection}: a command makes one or two requests, and an {@code http://}
 * URL then never loads TLS (java.net.http's client builds the default SSLContext as it is made, a third
 * of a client command's start-up).
 */
public final class ApiClient {

    static {
        // HttpURLConnection would send a POST again on a reused connection the server closed: never repeat a change
        System.setProperty("sun.net.http.retryPost", "false");
    }

    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final int READ_TIMEOUT_MS = 60_000;
    private final URI base;
    private final Supplier<Optional<String>> token;

    /** Sends {@code $POOLCTL_TOKEN} as the bearer token, if set. */
    public ApiClient(String server) {
        this(server, () -> Optional.ofNullable(System.getenv("POOLCTL_TOKEN")).filter(t -> !t.isBlank()));
    }

    /** @param token read before each request (a projected ServiceAccount token file rotates) */
    public ApiClient(String server, Supplier<Optional<String>> token) {
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
        return send("GET", path, null, false);
    }

    public JsonNode put(String path, JsonNode body) {
        return send("PUT", path, body, false);
    }

    public JsonNode post(String path, JsonNode body) {
        return send("POST", path, body, false);
    }

    /** A long request run as an operation on the server (Prefer: respond-async): the answer is the operation to follow. */
    public JsonNode postAsync(String path, JsonNode body) {
        return send("POST", path, body, true);
    }

    /**
     * Sends a (large) file as the body of a long request run as an operation: streamed, never held in
     * memory; the answer is the operation to follow.
     */
    public JsonNode uploadAsync(String path, Path file, String contentType) {
        long length;
        try {
            length = Files.size(file);
        } catch (IOException e) {
            throw new CliFailure(CliFailure.USAGE, "cannot read " + file + ": " + e.getMessage());
        }
        return exchange("POST", path, new Payload(contentType, length, out -> Files.copy(file, out)), true);
    }

    public JsonNode delete(String path) {
        return send("DELETE", path, null, false);
    }

    /** Saves a (large) answer to {@code target}, by way of a temporary file next to it. */
    public void download(String path, Path target) {
        Path temporary = target.toAbsolutePath().resolveSibling(".tmp-" + target.getFileName());
        try {
            HttpURLConnection c = open("GET", path, false);
            int status = c.getResponseCode();
            if (status >= 400) {
                String message = "HTTP " + status;
                try (InputStream in = c.getErrorStream()) {
                    if (in != null) {
                        message = JsonTrees.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)).path("error").path("message").asText(message);
                    }
                } catch (IOException notJson) {
                    // keep the status
                }
                throw new CliFailure(CliFailure.REFUSED, message + " (HTTP " + status + ")");
            }
            try (InputStream in = c.getInputStream()) {
                Files.copy(in, temporary, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (ConnectException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "cannot reach " + base + ": connection refused");
        } catch (IOException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "cannot download " + path + " to " + target + ": " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // nothing left to tidy that matters
            }
        }
    }

    private HttpURLConnection open(String method, String path, boolean async) throws IOException {
        HttpURLConnection c = (HttpURLConnection) base.resolve(path).toURL().openConnection();
        c.setRequestMethod(method);
        c.setInstanceFollowRedirects(false);
        c.setConnectTimeout(CONNECT_TIMEOUT_MS);
        c.setReadTimeout(READ_TIMEOUT_MS);
        c.setUseCaches(false);
        token.get().ifPresent(t -> c.setRequestProperty("Authorization", "Bearer " + t.strip()));
        if (async) {
            c.setRequestProperty("Prefer", "respond-async");
        }
        return c;
    }

    /** A request body: its media type, its length, and how to write it. */
    private record Payload(String type, long length, Writer writer) {
        interface Writer {
            void write(OutputStream out) throws IOException;
        }

        static Payload json(JsonNode body) {
            byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
            return new Payload("application/json", bytes.length, out -> out.write(bytes));
        }
    }

    private JsonNode send(String method, String path, JsonNode body, boolean async) {
        return exchange(method, path, body == null ? null : Payload.json(body), async);
    }

    private JsonNode exchange(String method, String path, Payload body, boolean async) {
        int status;
        String answer;
        try {
            HttpURLConnection c = open(method, path, async);
            if (body != null) {
                c.setRequestProperty("Content-Type", body.type());
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(body.length());
                try (OutputStream out = c.getOutputStream()) {
                    body.writer().write(out);
                } catch (IOException e) {
                    // a server that refuses before reading the whole body (401, 415) answers; its answer says why
                    if (c.getResponseCode() < 400) {
                        throw e;
                    }
                }
            }
            status = c.getResponseCode();
            try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                answer = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (ConnectException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "cannot reach " + base + ": connection refused (is `make run` or `poolctl standalone` running?)");
        } catch (SocketTimeoutException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "cannot reach " + base + ": timed out");
        } catch (IOException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "cannot reach " + base + ": " + e.getMessage());
        }
        JsonNode parsed = null;
        if (!answer.isBlank()) {
            try {
                parsed = JsonTrees.parse(answer);
            } catch (IOException e) {
                parsed = null;
            }
        }
        if (status >= 400) {
            // a 401 to a streamed body reaches us without its own (java.net cannot retry the upload, so it drops the answer)
            String message = parsed != null && parsed.has("error") ? parsed.get("error").path("message").asText()
                    : status == 401 ? "the server needs a token for changes: set POOLCTL_TOKEN or give --token-file FILE" : "HTTP " + status;
            throw new CliFailure(CliFailure.REFUSED, message + " (HTTP " + status + ")");
        }
        return parsed == null ? JsonTrees.nodes().objectNode() : parsed;
    }
}
