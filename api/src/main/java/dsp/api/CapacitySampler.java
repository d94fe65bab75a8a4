package dsp.api;

import dsp.core.history.CapacityHistory;
import dsp.core.usecase.PoolQueries;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a capacity sample every few seconds into the history the dashboard draws, and logs one
 * line when a pool crosses a threshold and one when it recovers.
 */
public final class CapacitySampler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CapacitySampler.class);

    private final PoolQueries queries;
    private final CapacityHistory history;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "capacity-sampler");
        t.setDaemon(true);
        return t;
    });

    public CapacitySampler(PoolQueries queries, CapacityHistory history) {
        this.queries = queries;
        this.history = history;
    }

    public CapacitySampler start(Duration every) {
        timer.scheduleWithFixedDelay(this::sampleQuietly, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** One sample now; health transitions are logged. */
    public void sample() {
        for (String t : history.record(queries.status())) {
            if (t.endsWith("(recovered)")) {
                LOG.info("{}", t);
            } else {
                LOG.warn("{}", t);
            }
        }
    }

    private void sampleQuietly() {
        try {
            sample();
        } catch (RuntimeException e) {
            LOG.warn("capacity sample failed: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
