package dsp.kubernetes.work;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A keyed work queue like client-go's: a key queued twice before it runs runs once; a key is
 * never worked on by two workers at once (added while running, it runs again afterwards); a
 * failure requeues it with exponential backoff; workers never block waiting for the cluster.
 */
public final class WorkQueue implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkQueue.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final String name;
    private final Consumer<String> work;
    private final ScheduledExecutorService workers;
    private final Set<String> queued = new java.util.HashSet<>();
    private final Set<String> running = new java.util.HashSet<>();
    private final Set<String> dirty = new java.util.HashSet<>();
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();

    public WorkQueue(String name, int threads, Consumer<String> work) {
        this.name = name;
        this.work = work;
        this.workers = Executors.newScheduledThreadPool(threads, r -> {
            Thread t = new Thread(r, name + "-worker");
            t.setDaemon(true);
            return t;
        });
    }

    public void add(String key) {
        addAfter(key, Duration.ZERO);
    }

    public void addAfter(String key, Duration delay) {
        synchronized (this) {
            if (workers.isShutdown()) {
                return;
            }
            if (running.contains(key) && delay.isZero()) {
                dirty.add(key);
                return;
            }
            if (!queued.add(key)) {
                return;
            }
        }
        try {
            workers.schedule(() -> run(key), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // shutting down
        }
    }

    private void run(String key) {
        synchronized (this) {
            queued.remove(key);
            if (!running.add(key)) {
                dirty.add(key); // another worker has it: run again when it is done
                return;
            }
        }
        boolean again;
        try {
            work.accept(key);
            failures.remove(key);
        } catch (RuntimeException e) {
            int n = failures.merge(key, 1, Integer::sum);
            long delay = Math.min(MAX_BACKOFF.toMillis(), 100L << Math.min(n, 20));
            LOG.warn("{} {}: {} (retry {} in {} ms)", name, key, e.getMessage(), n, delay);
            synchronized (this) {
                running.remove(key);
                dirty.remove(key);
            }
            addAfter(key, Duration.ofMillis(delay));
            return;
        }
        synchronized (this) {
            running.remove(key);
            again = dirty.remove(key);
        }
        if (again) {
            add(key);
        }
    }

    /** How many keys wait to run (for tests and metrics). */
    public synchronized int depth() {
        return queued.size();
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}
