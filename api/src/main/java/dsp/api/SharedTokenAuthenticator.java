package dsp.api;

import dsp.core.port.Authenticator;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/** One shared secret (standalone mode's --token-file / POOLCTL_TOKEN), compared in constant time. */
final class SharedTokenAuthenticator implements Authenticator {

    private final byte[] expected;

    SharedTokenAuthenticator(String secret) {
        this.expected = secret.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Optional<String> principal(String bearerToken) {
        return MessageDigest.isEqual(bearerToken.getBytes(StandardCharsets.UTF_8), expected)
                ? Optional.of("token") : Optional.empty();
    }
}
