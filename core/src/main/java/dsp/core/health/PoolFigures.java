package dsp.core.health;

import dsp.core.model.PoolDefinition;
import java.time.Instant;
import java.util.Optional;

/**
 * One pool's numbers. {@code used} is allocated bytes on the pool's servers (what the guide's
 * {@code used_capacity_gb} reports and admission uses); {@code measured} is what is really on
 * their disks.
 *
 * @param ownAllocated     allocations belonging to this pool, wherever they are
 * @param strandedBytes    this pool's allocations on servers that are no longer in it
 * @param usagePercent     used / capacity
 * @param measuredPercent  measured / capacity
 * @param measuredAt       the oldest disk measurement behind {@code measured}; empty before any
 */
public record PoolFigures(
        PoolDefinition pool,
        int servers,
        long capacity,
        long used,
        long available,
        double usagePercent,
        long measured,
        double measuredPercent,
        long ownAllocated,
        int volumes,
        long strandedBytes,
        int strandedVolumes,
        Health health,
        Optional<Instant> measuredAt) {
}
