package dsp.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/** Who sent a bearer token, if anyone the server trusts did. */
@FunctionalInterface
public interface Authenticator {

    /** The principal the token belongs to; empty when it is not valid. */
    Optional<String> principal(String bearerToken);

    /** One shared secret (standalone mode's --token-file / POOLCTL_TOKEN). */
    static Authenticator sharedToken(String secret) {
        byte[] expected = secret.getBytes(StandardCharsets.UTF_8);
        return token -> MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), expected)
                ? Optional.of("token") : Optional.empty();
    }
}
