package dsp.core.port;

import java.util.Optional;

/**
 * Who sent a bearer token, if anyone the server trusts did. Adapters: a shared secret
 * (standalone, in the HTTP adapter) and a Kubernetes TokenReview.
 */
@FunctionalInterface
public interface Authenticator {

    /** The principal the token belongs to; empty when it is not valid. */
    Optional<String> principal(String bearerToken);
}
