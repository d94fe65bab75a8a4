package dsp.api;

import dsp.core.port.Authenticator;
import dsp.core.port.Caller;
import io.javalin.http.Context;
import java.util.Optional;

/**
 * Who sent a change. The {@code Authorization} header is compared exactly as it arrived: the
 * scheme {@code Bearer}, one space, the token, nothing trimmed or folded (Jetty's header cache,
 * which could hand back an earlier request's spelling of the same header, is off; see {@link HttpLimits}).
 */
final class Authentication {

    static final String ANONYMOUS = "anonymous";
    private static final String PRINCIPAL = "dsp.principal";
    private static final String CALLER = "dsp.caller";
    private static final String SCHEME = "Bearer ";

    private final Optional<Authenticator> authenticator;

    Authentication(Optional<Authenticator> authenticator) {
        this.authenticator = authenticator;
    }

    /** Checks the token once and remembers who it was, for the audit trail. */
    boolean admits(Context ctx) {
        if (authenticator.isEmpty()) {
            return true;
        }
        String header = ctx.header("Authorization");
        if (header == null || !header.startsWith(SCHEME) || header.length() == SCHEME.length()) {
            return false;
        }
        Optional<Caller> who = authenticator.get().caller(header.substring(SCHEME.length()));
        who.ifPresent(c -> {
            ctx.attribute(PRINCIPAL, c.name());
            ctx.attribute(CALLER, c);
        });
        return who.isPresent();
    }

    /** Whether changes are authenticated at all (else anyone may change anything, as with --auth none). */
    boolean enabled() {
        return authenticator.isPresent();
    }

    /** Who the authenticator said sent this request; empty when nobody was checked. */
    static Optional<Caller> caller(Context ctx) {
        return Optional.ofNullable((Caller) ctx.attribute(CALLER));
    }

    static String principal(Context ctx) {
        return Optional.ofNullable((String) ctx.attribute(PRINCIPAL)).orElse(ANONYMOUS);
    }
}
