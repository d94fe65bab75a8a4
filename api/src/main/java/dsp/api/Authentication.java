package dsp.api;

import dsp.core.port.Authenticator;
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
        Optional<String> who = authenticator.get().principal(header.substring(SCHEME.length()));
        who.ifPresent(p -> ctx.attribute(PRINCIPAL, p));
        return who.isPresent();
    }

    static String principal(Context ctx) {
        return Optional.ofNullable((String) ctx.attribute(PRINCIPAL)).orElse(ANONYMOUS);
    }
}
