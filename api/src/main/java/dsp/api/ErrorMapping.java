package dsp.api;

import dsp.json.Json;
import dsp.api.body.ErrorBody;
import dsp.core.DomainException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.NotFoundResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every failure becomes {@code {"error": {"code", "message"}}} with the right status. Bad input is
 * a 4xx whose message is written for the user; a full disk is a 507 wherever it happens; anything
 * else is a 500 that names a log reference, never a Java class, a stack trace or a host path.
 */
final class ErrorMapping {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapping.class);
    private static final Pattern JAVA_NAME = Pattern.compile(
            "`?\\b(?:java|javax|jakarta|com|org|io|dsp|kotlin|sun)\\.(?:[A-Za-z_$][\\w$]*\\.)*[A-Za-z_$][\\w$]*`?");
    private static final Pattern ABSOLUTE_PATH = Pattern.compile("(?<![\\w.:/])/(?:[^\\s'\":,;()/]+/)*([^\\s'\":,;()/]+)");
    private static final String DISK_FULL = "the disk holding the server's data is full; the request was not completed. "
            + "Free space (e.g. empty the pools' .trash) and retry";

    void register(Javalin app) {
        app.exception(DomainException.class, (e, ctx) -> domain(e, ctx));
        app.exception(HttpResponseException.class, (e, ctx) ->
                respond(ctx, e.getStatus(), reason(e.getStatus()), withoutJavaNames(e.getMessage())));
        app.exception(BadMessageException.class, (e, ctx) ->
                respond(ctx, e.getCode(), reason(e.getCode()), "the request is malformed or too slow: " + withoutJavaNames(e.getReason())));
        app.exception(Exception.class, (e, ctx) -> unexpected(e, ctx));
        // Javalin's own answer for a path no route matches echoes the whole path: say it our way, cut
        app.exception(NotFoundResponse.class, (e, ctx) ->
                respond(ctx, 404, "not_found", "no such endpoint: " + ctx.method() + " " + printable(ctx.path())));
        app.error(405, ctx -> respond(ctx, 405, "method_not_allowed", ctx.method() + " is not allowed on " + printable(ctx.path())));
    }

    private void domain(DomainException e, Context ctx) {
        switch (e.code()) {
            case INVALID -> respond(ctx, 400, "invalid", withoutJavaNames(e.getMessage()));
            case NOT_FOUND -> respond(ctx, 404, "not_found", withoutJavaNames(e.getMessage()));
            case CONFLICT -> respond(ctx, 409, "conflict", withoutJavaNames(e.getMessage()));
            case INSUFFICIENT_CAPACITY -> respond(ctx, 507, "insufficient_capacity", withoutJavaNames(e.getMessage()));
            case NO_SPACE -> diskFull(e, ctx);
            case STORAGE_FAILED -> {
                if (isDiskFull(e)) {
                    diskFull(e, ctx);
                } else {
                    LOG.error("{} {}: storage failed: {}", ctx.method(), ctx.path(), e.getMessage());
                    respond(ctx, 500, "storage_failed", withoutHostPaths(withoutJavaNames(e.getMessage())));
                }
            }
        }
    }

    private void unexpected(Exception e, Context ctx) {
        if (isDiskFull(e)) {
            diskFull(e, ctx);
            return;
        }
        String reference = UUID.randomUUID().toString().substring(0, 8);
        LOG.error("{} {} failed (reference {})", ctx.method(), ctx.path(), reference, e);
        respond(ctx, 500, "internal", "internal error (reference " + reference + "); the server log has the details");
    }

    private void diskFull(Exception e, Context ctx) {
        LOG.error("{} {}: disk full: {}", ctx.method(), ctx.path(), e.getMessage());
        respond(ctx, 507, "disk_full", DISK_FULL);
    }

    static void respond(Context ctx, int status, String code, String message) {
        ctx.status(status).json(ErrorBody.of(code, message));
    }

    /** ENOSPC wherever it surfaced: a file write, qemu-img, SQLite. */
    static boolean isDiskFull(Throwable e) {
        // each link once: a cause chain may loop (a caused by b caused by a), and this runs on a request thread
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof DomainException d && d.code() == DomainException.Code.NO_SPACE) {
                return true;
            }
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("no space left on device") || m.contains("sqlite_full") || m.contains("database or disk is full")
                    || m.contains("disk quota exceeded")) {
                return true;
            }
        }
        return false;
    }

    static HttpResponseException tooLarge() {
        return new HttpResponseException(413, "request body is larger than " + Requests.MAX_BODY_BYTES / 1024 + " KiB");
    }

    /** What a user sent, safe to echo: no control characters, at most 80 characters. */
    static String printable(String s) {
        if (s == null) {
            return "";
        }
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return cut.replaceAll("[\\p{Cntrl}\\p{Zl}\\p{Zp}]", "?");
    }

    static String withoutJavaNames(String message) {
        return message == null ? "" : JAVA_NAME.matcher(message).replaceAll("a value");
    }

    /** Keeps a path's last element: enough to say which file, nothing about where the server keeps it. */
    static String withoutHostPaths(String message) {
        return ABSOLUTE_PATH.matcher(message).replaceAll("$1");
    }

    static String reason(int status) {
        return switch (status) {
            case 400 -> "invalid";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 408 -> "request_timeout";
            case 413 -> "too_large";
            case 414 -> "uri_too_long";
            case 415 -> "unsupported_media_type";
            case 421 -> "misdirected";
            case 431 -> "headers_too_large";
            default -> "http_" + status;
        };
    }

    /** Jetty's own answers (a malformed request line, headers too large) in the same JSON shape. */
    static final class JettyErrors extends ErrorHandler {

        @Override
        public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
            fields.put(HttpHeader.CONTENT_TYPE, "application/json");
            return ByteBuffer.wrap(body(status, "the request is malformed: " + printable(withoutJavaNames(reason))));
        }

        @Override
        public void handle(String target, Request baseRequest, HttpServletRequest request, HttpServletResponse response)
                throws IOException {
            baseRequest.setHandled(true);
            int status = response.getStatus();
            response.setContentType("application/json");
            response.getOutputStream().write(body(status, "the request could not be served (" + status + ")"));
        }

        private static byte[] body(int status, String message) {
            try {
                return Json.MAPPER.writeValueAsString(ErrorBody.of(reason(status), message)).getBytes(StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "{\"error\":{\"code\":\"invalid\",\"message\":\"the request is malformed\"}}".getBytes(StandardCharsets.UTF_8);
            }
        }
    }
}
