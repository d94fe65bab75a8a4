package dsp.kubernetes.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The token this agent shows a peer agent: the projected ServiceAccount token of audience
 * {@link dsp.kubernetes.Names#PEER_AUDIENCE} that the kubelet keeps fresh in the pod (read on every
 * use: it rotates). Never the pod's default token, which the API server accepts.
 */
public final class PodToken implements Supplier<String> {

    /** Where deploy/50-agents.yaml projects it. */
    public static final Path PROJECTED = Path.of("/var/run/secrets/dynamicpools.io/peer/token");

    private final Path file;

    public PodToken(Path file) {
        this.file = file;
    }

    @Override
    public String get() {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw dsp.core.DomainException.storageFailed("this agent has no token to show its peers (the projected peer-token volume"
                    + " of deploy/50-agents.yaml is missing)");
        }
    }
}
