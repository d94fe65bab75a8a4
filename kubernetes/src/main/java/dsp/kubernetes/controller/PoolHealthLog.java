package dsp.kubernetes.controller;

import dsp.core.usecase.PoolQueries;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** dynamic-pool-monitor's health line in the log every minute, with each critical finding and warning. */
final class PoolHealthLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PoolHealthLog.class);

    private final ScheduledExecutorService log;

    PoolHealthLog(PoolQueries queries) {
        log = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pool-monitor");
            t.setDaemon(true);
            return t;
        });
        log.scheduleWithFixedDelay(() -> logOnce(queries), 5, 60, TimeUnit.SECONDS);
    }

    private static void logOnce(PoolQueries queries) {
        try {
            var status = queries.status();
            LOG.info("pools {}: {}", status.overall().display(), status.pools().stream()
                    .map(p -> p.pool().statusKey() + " " + p.servers() + " servers, " + p.usagePercent() + "% (" + p.health().display() + ")").toList());
            status.errors().forEach(e -> LOG.warn("CRITICAL {}", e));
            status.warnings().forEach(w -> LOG.warn("WARNING {}", w));
        } catch (RuntimeException e) {
            LOG.warn("pool health check failed: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        log.shutdownNow();
    }
}
