package dsp.kubernetes.adapter;

import dsp.core.port.Authenticator;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In-cluster authentication: the API server says whose token it is (TokenReview). Answers are
 * cached briefly, keyed by a hash of the token, so a burst of changes costs one review.
 */
public final class TokenReviewAuthenticator implements Authenticator {

    private static final Logger LOG = LoggerFactory.getLogger(TokenReviewAuthenticator.class);
    private static final Duration TTL = Duration.ofSeconds(60);

    private record Answer(Optional<String> user, Instant at) {
    }

    private final KubernetesClient client;
    private final Clock clock;
    private final Map<String, Answer> cache = new ConcurrentHashMap<>();

    public TokenReviewAuthenticator(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    @Override
    public Optional<String> principal(String bearerToken) {
        String key = hash(bearerToken);
        Answer a = cache.get(key);
        Instant now = clock.instant();
        if (a != null && a.at().plus(TTL).isAfter(now)) {
            return a.user();
        }
        Optional<String> user;
        try {
            TokenReview review = client.tokenReviews().create(new TokenReviewBuilder()
                    .withNewSpec().withToken(bearerToken).endSpec().build());
            user = review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAuthenticated())
                    && review.getStatus().getUser() != null
                    ? Optional.ofNullable(review.getStatus().getUser().getUsername()) : Optional.empty();
        } catch (KubernetesClientException e) {
            LOG.warn("TokenReview failed: {}", e.getMessage());
            return Optional.empty(); // not cached: the next request asks again
        }
        cache.put(key, new Answer(user, now));
        return user;
    }

    private static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
