package dsp.api;

import io.javalin.http.Context;
import java.io.IOException;
import java.time.Clock;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts every change request on the {@link AuditTrail}: {@code begin} before the change runs (if
 * that cannot be written, the change does not run), {@code end} with its status after; a request
 * refused before it ran gets one {@code refused} entry.
 */
final class Auditing {

    private static final Logger LOG = LoggerFactory.getLogger(Auditing.class);
    private static final String BEGUN = "dsp.audit.begun";
    private static final String REQUEST = "dsp.request";

    private final AuditTrail trail;
    private final Clock clock;

    Auditing(AuditTrail trail, Clock clock) {
        this.trail = trail;
        this.clock = clock;
    }

    /** True when the change may run; otherwise the refusal has been answered. */
    boolean begin(Context ctx) {
        try {
            trail.write(entry(ctx, "begin", null));
            ctx.attribute(BEGUN, Boolean.TRUE);
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.error("audit trail cannot be written; refusing {} {}: {}", ctx.method(), ctx.path(), e.getMessage());
            if (ErrorMapping.isDiskFull(e)) {
                ErrorMapping.respond(ctx, 507, "disk_full", "the audit log cannot be written because the disk is full, "
                        + "so no change is made; free space and retry");
            } else {
                ErrorMapping.respond(ctx, 503, "audit_unavailable", "the audit log cannot be written, so no change is made; "
                        + "retry when it can");
            }
            return false;
        }
    }

    /** After a change request, whatever became of it. */
    void end(Context ctx) {
        boolean begun = Boolean.TRUE.equals(ctx.attribute(BEGUN));
        try {
            trail.write(entry(ctx, begun ? "end" : "refused", ctx.statusCode()));
        } catch (IOException | RuntimeException e) {
            LOG.error("audit trail cannot be written after {} {} ({}): {}", ctx.method(), ctx.path(), ctx.statusCode(), e.getMessage());
        }
    }

    private AuditTrail.Entry entry(Context ctx, String event, Integer status) {
        return new AuditTrail.Entry(clock.instant().toString(), requestId(ctx), event, ctx.method().name(), ctx.path(), status,
                ctx.ip(), Authentication.principal(ctx));
    }

    static String requestId(Context ctx) {
        String id = ctx.attribute(REQUEST);
        if (id == null) {
            id = UUID.randomUUID().toString().substring(0, 13);
            ctx.attribute(REQUEST, id);
            ctx.header("X-Request-Id", id);
        }
        return id;
    }
}
