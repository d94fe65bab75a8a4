package dsp.api;

import dsp.core.DomainException;
import io.javalin.http.Context;

/** Query parameters, as strictly as bodies. */
final class Query {

    private Query() {
    }

    /** {@code ?name=true} or {@code ?name=false}; absent is false; anything else is a 400. */
    static boolean flag(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.equals("false")) {
            return false;
        }
        if (v.equals("true")) {
            return true;
        }
        throw DomainException.invalid(name + " must be true or false, not '" + ErrorMapping.printable(v) + "'");
    }
}
