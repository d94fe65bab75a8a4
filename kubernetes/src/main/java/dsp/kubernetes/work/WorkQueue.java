package dsp.kubernetes.work;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A keyed work queue like client-go's: a key queued twice before it runs runs once; a key is
 * never worked on by two workers at once (added while running, it runs again afterwards); a
 * failure requeues it with exponential backoff; workers never block waiting for the cluster.
 *
 * <p>Work comes in {@link Lane lanes} that share the workers: a free worker takes the oldest key
 * of the first lane (in the order the lanes were opened) that has one, so work that finishes
 * something (e.g. a claim whose volume is ready) never waits behind work that starts something new.
 * Within a lane, keys run in the order they were queued.
 */
public final class WorkQueue implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkQueue.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /** One kind of work: its own keys, its own reconcile, its place in line. */
    public final class Lane {
        private final String name;
        private final Consumer<String> work;
        private final ArrayDeque<String> ready = new ArrayDeque<>();
        private final Set<String> queued = new HashSet<>();
        private final Set<String> running = new HashSet<>();
        private final Set<String> dirty = new HashSet<>();
        private final Map<String, Integer> failures = new HashMap<>();

        private Lane(String name, Consumer<String> work) {
            this.name = name;
            this.work = work;
        }

        public void add(String key) {
            synchronized (WorkQueue.this) {
                if (closed) {
                    return;
                }
                if (running.contains(key)) {
                    dirty.add(key); // a worker has it: run again when it is done
                } else if (queued.add(key)) {
                    ready.addLast(key);
                    WorkQueue.this.notify();
                }
            }
        }

        public void addAfter(String key, Duration delay) {
            if (delay.isZero() || delay.isNegative()) {
                add(key);
                return;
            }
            try {
                timer.schedule(() -> add(key), delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                // shutting down
            }
        }

        /** How many keys wait to run (for tests and metrics). */
        public int depth() {
            synchronized (WorkQueue.this) {
                return queued.size();
            }
        }

        private void run(String key) {
            try {
                work.accept(key);
                synchronized (WorkQueue.this) {
                    failures.remove(key);
                }
            } catch (RuntimeException e) {
                int n;
                synchronized (WorkQueue.this) {
                    n = failures.merge(key, 1, Integer::sum);
                    running.remove(key);
                    dirty.remove(key); // the retry looks at it again anyway
                }
                long delay = Math.min(MAX_BACKOFF.toMillis(), 100L << Math.min(n, 20));
                LOG.warn("{} {}: {} (retry {} in {} ms)", queueName(this), key, e.getMessage(), n, delay);
                addAfter(key, Duration.ofMillis(delay));
                return;
            }
            boolean again;
            synchronized (WorkQueue.this) {
                running.remove(key);
                again = dirty.remove(key);
            }
            if (again) {
                add(key);
            }
        }
    }

    private final String name;
    private final List<Lane> lanes = new ArrayList<>();
    private final List<Thread> workers = new ArrayList<>();
    private final ScheduledExecutorService timer;
    private final Lane single;
    private volatile boolean closed;

    /**
     * A queue of one lane: {@link #add} and {@link #addAfter} queue keys for {@code work}
     * ({@code null}: a queue of lanes, see {@link #withLanes}).
     */
    public WorkQueue(String name, int threads, Consumer<String> work) {
        this(name, threads, work, Executors.newSingleThreadScheduledExecutor(r -> daemon(r, name + "-backoff")));
    }

    /** As above, with the timer that runs delayed adds and retries (a test records the delays it is asked for). */
    public WorkQueue(String name, int threads, Consumer<String> work, ScheduledExecutorService timer) {
        this.name = name;
        this.single = work == null ? null : lane(name, work);
        this.timer = timer;
        for (int i = 0; i < threads; i++) {
            Thread t = daemon(this::work, name + "-worker");
            workers.add(t);
            t.start();
        }
    }

    /** A queue whose lanes are opened with {@link #lane}, first opened first served. */
    public static WorkQueue withLanes(String name, int threads) {
        return new WorkQueue(name, threads, null);
    }

    /** Opens a lane, served after every lane opened before it. */
    public synchronized Lane lane(String laneName, Consumer<String> work) {
        Lane lane = new Lane(laneName, work);
        lanes.add(lane);
        return lane;
    }

    public void add(String key) {
        singleLane().add(key);
    }

    public void addAfter(String key, Duration delay) {
        singleLane().addAfter(key, delay);
    }

    /** How many keys wait to run, over every lane (for tests and metrics). */
    public synchronized int depth() {
        return lanes.stream().mapToInt(l -> l.queued.size()).sum();
    }

    private Lane singleLane() {
        if (single == null) {
            throw new IllegalStateException(name + " has lanes: add to one of them");
        }
        return single;
    }

    private String queueName(Lane lane) {
        return lane == single ? name : name + "/" + lane.name;
    }

    private void work() {
        while (true) {
            Lane lane = null;
            String key = null;
            synchronized (this) {
                while (!closed && key == null) {
                    for (Lane l : lanes) {
                        key = l.ready.pollFirst();
                        if (key != null) {
                            lane = l;
                            l.queued.remove(key);
                            l.running.add(key);
                            break;
                        }
                    }
                    if (key == null) {
                        try {
                            wait();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
                if (closed) {
                    return;
                }
            }
            lane.run(key);
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        timer.shutdownNow();
        workers.forEach(Thread::interrupt);
    }
}
