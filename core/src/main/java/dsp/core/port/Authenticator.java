package dsp.core.port;

import java.util.Optional;
import java.util.Set;

/**
 * Who sent a bearer token, if anyone the server trusts did. Adapters: a shared secret
 * (standalone, in the HTTP adapter) and a Kubernetes TokenReview.
 */
@FunctionalInterface
public interface Authenticator {

    /** The principal the token belongs to; empty when it is not valid. */
    Optional<String> principal(String bearerToken);

    /** The principal with its groups; an authenticator that knows no groups gives none. */
    default Optional<Caller> caller(String bearerToken) {
        return principal(bearerToken).map(name -> new Caller(name, Set.of()));
    }
}
