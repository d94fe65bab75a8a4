package dsp.api.body;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Optional;

/** Changing the inventory: {@code PUT /api/v1/servers/{name}}. */
public final class ServerBodies {

    private ServerBodies() {
    }

    /** {@code pool}: a pool name, or null to take the server out of its pool (the guide's {@code pool-}). */
    public record Assign(@JsonProperty(required = true)
                         @JsonPropertyDescription("a pool name to add or move the server, or null to take it out of its pool")
                         Optional<String> pool,
                         Size capacity) {
    }
}
