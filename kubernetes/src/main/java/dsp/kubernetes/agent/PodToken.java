package dsp.kubernetes.agent;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * This agent's own token as a peer checks it: in a pod, the projected ServiceAccount token the
 * kubelet keeps fresh (read on every use: it rotates); elsewhere the client's configured token.
 */
final class PodToken implements Supplier<String> {

    static final Path PROJECTED = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

    private final KubernetesClient client;

    PodToken(KubernetesClient client) {
        this.client = client;
    }

    @Override
    public String get() {
        if (Files.isReadable(PROJECTED)) {
            try {
                return Files.readString(PROJECTED, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                // the client's own token below
            }
        }
        String configured = client.getConfiguration().getOauthToken();
        return configured != null ? configured : client.getConfiguration().getAutoOAuthToken();
    }
}
