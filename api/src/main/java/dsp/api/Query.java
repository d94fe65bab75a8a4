package dsp.api;

import dsp.core.DomainException;
import io.javalin.http.Context;

/** Query parameters, as strictly as bodies. */
final class Query {

    private Query() {
    }

    /** {@code ?name=true} or {@code ?name=false}; absent is false; anything else is a 400. */
    static boolean flag(Context ctx, String name) {
        return flag(ctx, name, false);
    }

    /** {@code ?name=true} or {@code ?name=false}; absent is {@code whenAbsent}; anything else is a 400. */
    static boolean flag(Context ctx, String name, boolean whenAbsent) {
        String v = ctx.queryParam(name);
        if (v == null) {
            return whenAbsent;
        }
        if (v.equals("true") || v.equals("false")) {
            return v.equals("true");
        }
        throw DomainException.invalid(name + " must be true or false, not '" + ErrorMapping.printable(v) + "'");
    }
}
