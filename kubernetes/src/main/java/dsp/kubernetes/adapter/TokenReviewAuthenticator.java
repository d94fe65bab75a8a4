package dsp.kubernetes.adapter;

import dsp.core.port.Authenticator;
import dsp.core.port.Caller;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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

    /**
     * What TokenReview says of a pod's ServiceAccount token since Kubernetes 1.30: the node its pod
     * runs on ({@code user.extra}), so a peer on one node can tell which node's agent is asking.
     */
    public static final String NODE_NAME_EXTRA = "authentication.kubernetes.io/node-name";

    /** A caller and the node its token is bound to, if it is a pod's token. */
    public record NodeCaller(Caller caller, Optional<String> node) {
    }

    private record Answer(Optional<NodeCaller> caller, Instant at) {
    }

    private final KubernetesClient client;
    private final Clock clock;
    private final Map<String, Answer> cache = new ConcurrentHashMap<>();

    private final List<String> audiences;

    /** Tokens for the API server itself (its own audiences). */
    public TokenReviewAuthenticator(KubernetesClient client, Clock clock) {
        this(client, clock, List.of());
    }

    /** @param audiences a token counts only when it was made for one of these (empty: for the API server itself) */
    public TokenReviewAuthenticator(KubernetesClient client, Clock clock, List<String> audiences) {
        this.client = client;
        this.clock = clock;
        this.audiences = List.copyOf(audiences);
    }

    @Override
    public Optional<String> principal(String bearerToken) {
        return caller(bearerToken).map(Caller::name);
    }

    /** The user and groups the API server vouches for (its authenticators: ServiceAccount tokens, OIDC, ...). */
    @Override
    public Optional<Caller> caller(String bearerToken) {
        return callerOnNode(bearerToken).map(NodeCaller::caller);
    }

    /** The caller and, for a pod's bound token, the node the pod runs on. */
    public Optional<NodeCaller> callerOnNode(String bearerToken) {
        String key = hash(bearerToken);
        Answer a = cache.get(key);
        Instant now = clock.instant();
        if (a != null && a.at().plus(TTL).isAfter(now)) {
            return a.caller();
        }
        Optional<NodeCaller> caller;
        try {
            TokenReview review = client.tokenReviews().create(new TokenReviewBuilder()
                    .withNewSpec().withToken(bearerToken).withAudiences(audiences).endSpec().build());
            var status = review.getStatus();
            // an API server that does not check audiences says none: then the token is not taken for one of ours
            boolean forUs = audiences.isEmpty() || status != null && status.getAudiences() != null && !status.getAudiences().isEmpty()
                    && audiences.containsAll(status.getAudiences());
            caller = forUs && status != null && Boolean.TRUE.equals(status.getAuthenticated()) && status.getUser() != null
                    && status.getUser().getUsername() != null
                    ? Optional.of(new NodeCaller(new Caller(status.getUser().getUsername(),
                    status.getUser().getGroups() == null ? Set.of() : Set.copyOf(status.getUser().getGroups())), boundNode(status.getUser().getExtra())))
                    : Optional.empty();
        } catch (KubernetesClientException e) {
            LOG.warn("TokenReview failed: {}", e.getMessage());
            return Optional.empty(); // not cached: the next request asks again
        }
        cache.put(key, new Answer(caller, now));
        return caller;
    }

    private static Optional<String> boundNode(Map<String, java.util.List<String>> extra) {
        java.util.List<String> nodes = extra == null ? null : extra.get(NODE_NAME_EXTRA);
        return nodes == null || nodes.size() != 1 ? Optional.empty() : Optional.of(nodes.get(0));
    }

    private static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
