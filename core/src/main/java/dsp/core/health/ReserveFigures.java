package dsp.core.health;

import java.time.Instant;
import java.util.Optional;

/**
 * The system reserve: every pool server keeps this much for itself, outside any pool.
 *
 * @param measuredAt the oldest disk measurement behind {@code used}; empty before any
 */
public record ReserveFigures(int servers, long capacity, long used, long available, double usagePercent,
                             Optional<Instant> measuredAt) {
}
