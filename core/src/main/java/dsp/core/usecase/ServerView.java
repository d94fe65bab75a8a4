package dsp.core.usecase;

import dsp.core.model.PoolDefinition;
import dsp.core.model.Server;
import java.util.Optional;

/** A server with its capacity figures: what it gives, what is promised on it, what is left. */
public record ServerView(Server server, Optional<PoolDefinition> pool, long share, long allocated, long budget,
                         int allocations, int strandedAllocations) {
}
