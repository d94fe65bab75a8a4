package dsp.core.history;

import dsp.core.health.FleetStatus;
import dsp.core.health.Health;
import dsp.core.health.PoolFigures;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The last days of pool capacity samples (what the dashboard draws), and the health transitions
 * between one sample and the next (what the server logs when a pool crosses a threshold or
 * recovers). Thread-safe; kept in memory.
 */
public final class CapacityHistory {

    /** One pool at one moment. */
    public record Sample(Instant at, String pool, int servers, long capacity, long allocated, long measured, Health health) {
    }

    private final Duration retention;
    private final Duration resolution;
    private final Deque<Sample> samples = new ArrayDeque<>();
    private final Map<String, Health> lastHealth = new HashMap<>();
    private final Map<String, Sample> lastKept = new HashMap<>();

    /**
     * @param retention  how long samples are kept
     * @param resolution an unchanged pool is sampled at most this often; a change is kept at once
     */
    public CapacityHistory(Duration retention, Duration resolution) {
        if (retention.isNegative() || retention.isZero() || resolution.isNegative()) {
            throw new IllegalArgumentException("retention must be positive and resolution not negative");
        }
        this.retention = retention;
        this.resolution = resolution;
    }

    public Duration retention() {
        return retention;
    }

    /**
     * Records every pool of the status and forgets samples older than the retention.
     *
     * @return one line per pool whose health changed since the last sample, e.g. "k8s_pool went
     *         from healthy to warning: ..." (the first sample of a pool that is not healthy counts too)
     */
    public synchronized List<String> record(FleetStatus status) {
        List<String> transitions = new ArrayList<>();
        Instant at = status.checkedAt();
        for (PoolFigures p : status.pools()) {
            Sample now = new Sample(at, p.pool().name(), p.servers(), p.capacity(), p.used(), p.measured(), p.health());
            Sample last = lastKept.get(now.pool());
            if (last == null || !sameFigures(last, now) || !last.at().plus(resolution).isAfter(at)) {
                samples.addLast(now);
                lastKept.put(now.pool(), now);
            }
            Health before = lastHealth.put(p.pool().name(), p.health());
            Health was = before == null ? Health.HEALTHY : before;
            if (was != p.health()) {
                transitions.add(p.pool().statusKey() + " went from " + was.display() + " to " + p.health().display()
                        + ": allocated " + percent(p.usagePercent()) + ", measured " + percent(p.measuredPercent())
                        + " of " + p.capacity() / 1_000_000_000L + " GB"
                        + (p.health() == Health.HEALTHY ? " (recovered)" : ""));
            }
        }
        Instant oldest = at.minus(retention);
        while (!samples.isEmpty() && samples.peekFirst().at().isBefore(oldest)) {
            samples.removeFirst();
        }
        return transitions;
    }

    /** Samples taken at or after {@code since}, oldest first. */
    public synchronized List<Sample> since(Instant since) {
        return samples.stream().filter(s -> !s.at().isBefore(since)).toList();
    }

    private static boolean sameFigures(Sample a, Sample b) {
        return a.servers() == b.servers() && a.capacity() == b.capacity() && a.allocated() == b.allocated()
                && a.measured() == b.measured() && a.health() == b.health();
    }

    private static String percent(double p) {
        return String.format(java.util.Locale.ROOT, "%.2f%%", p);
    }
}
