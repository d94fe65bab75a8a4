package dsp.kubernetes.controller;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectorBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Lease per writing role: only its holder writes; a second replica waits. fabric8's
 * LeaderElector runs one election and stops for good when it loses the Lease (an API stall
 * longer than the renew deadline is enough); here a lost or failed election is entered again,
 * so a replica leads again and catches up after any outage. {@link #healthy()} is the liveness
 * of the role: false when its election is no longer running or has not reached the Lease for
 * longer than {@link Timing#unhealthyAfter()}, so the kubelet restarts what cannot recover.
 */
public final class Leadership implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

    /**
     * Lease timing; tests shorten it.
     *
     * @param unhealthyAfter how long without reaching the Lease (read or write) before liveness fails
     */
    public record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod, Duration unhealthyAfter) {
        public static final Timing DEFAULT = new Timing(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2),
                Duration.ofMinutes(2));

        public Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
            this(leaseDuration, renewDeadline, retryPeriod, DEFAULT.unhealthyAfter);
        }
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String lease;
    private final String identity;
    private final Timing timing;
    private final Runnable onStart;
    private final Runnable onStop;
    private final Clock clock;
    private final AtomicBoolean leading = new AtomicBoolean();
    private final AtomicInteger elections = new AtomicInteger();
    private final ScheduledExecutorService executor;
    private final Lock lock;
    private volatile Instant lastContact;
    private volatile CompletableFuture<?> running;
    private volatile boolean electing;
    private volatile boolean closed;

    public Leadership(KubernetesClient client, String namespace, String lease, String identity, Timing timing,
                      Runnable onStart, Runnable onStop) {
        this(client, namespace, lease, identity, timing, onStart, onStop, Clock.systemUTC());
    }

    public Leadership(KubernetesClient client, String namespace, String lease, String identity, Timing timing,
                      Runnable onStart, Runnable onStop, Clock clock) {
        this.client = boundedClient(client, timing);
        this.namespace = namespace;
        this.lease = lease;
        this.identity = identity;
        this.timing = timing;
        this.onStart = onStart;
        this.onStop = onStop;
        this.clock = clock;
        this.lastContact = clock.instant();
        this.lock = new ContactRecordingLock(new LeaseLock(namespace, lease, identity));
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lease-" + lease);
            t.setDaemon(true);
            return t;
        });
        elect();
    }

    /**
     * A client whose every call ends within a quarter of the renew deadline, without retries: the
     * elector checks its deadline only between calls, so a call hanging on a stalled API server
     * would keep this replica believing it leads long after its Lease expired.
     */
    private static KubernetesClient boundedClient(KubernetesClient client, Timing timing) {
        int millis = (int) Math.max(100, timing.renewDeadline().toMillis() / 4);
        return new KubernetesClientBuilder().withConfig(new ConfigBuilder(client.getConfiguration())
                .withRequestTimeout(millis).withConnectionTimeout(millis).withRequestRetryBackoffLimit(0).build()).build();
    }

    /** Runs one election; when it ends (the Lease lost, or the election failed), the next one starts. */
    private synchronized void elect() {
        if (closed) {
            return;
        }
        int round = elections.incrementAndGet();
        if (round > 1) {
            LOG.info("Lease {}/{}: {} runs for election again (round {})", namespace, lease, identity, round);
        }
        CompletableFuture<?> election = new LeaderElectorBuilder(client, executor).withConfig(new LeaderElectionConfigBuilder()
                .withName(lease)
                .withLock(lock)
                .withLeaseDuration(timing.leaseDuration())
                .withRenewDeadline(timing.renewDeadline())
                .withRetryPeriod(timing.retryPeriod())
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(this::started, this::stopped,
                        leader -> LOG.info("Lease {}/{}: leader is {}", namespace, lease, leader)))
                .build()).build().start();
        running = election;
        electing = true;
        election.whenComplete((ok, failure) -> {
            electing = false;
            stopped(); // however it ended, this replica no longer leads through it
            if (closed) {
                return;
            }
            LOG.warn("Lease {}/{}: the election of {} ended ({}); entering it again", namespace, lease, identity,
                    failure == null ? "lease lost" : failure.toString());
            try {
                executor.schedule(this::elect, timing.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
                electing = true;
            } catch (RejectedExecutionException e) {
                LOG.error("Lease {}/{}: cannot enter the election again: {}", namespace, lease, e.toString());
            }
        });
    }

    private void started() {
        if (!leading.getAndSet(true)) {
            LOG.info("Lease {}/{}: {} is the leader; starting", namespace, lease, identity);
            onStart.run();
        }
    }

    private void stopped() {
        if (leading.getAndSet(false)) {
            LOG.info("Lease {}/{}: {} lost the lease; stopping writes", namespace, lease, identity);
            onStop.run();
        }
    }

    public boolean isLeader() {
        return leading.get();
    }

    public String lease() {
        return lease;
    }

    /** How many elections this replica has entered (1 while the first one runs). */
    public int elections() {
        return elections.get();
    }

    /**
     * Liveness: an election is running (or about to be entered again) and the Lease was reached
     * within {@link Timing#unhealthyAfter()}. A replica that cannot reach its Lease for that long
     * is restarted by its liveness probe, which also clears whatever kept it from recovering.
     */
    public boolean healthy() {
        if (closed || !electing || executor.isShutdown()) {
            return false;
        }
        return Duration.between(lastContact, clock.instant()).compareTo(timing.unhealthyAfter()) < 0;
    }

    /** Why {@link #healthy()} is false, for the probe's answer and the log. */
    public String health() {
        if (healthy()) {
            return "lease " + lease + ": " + (isLeader() ? "leading" : "following");
        }
        if (closed || !electing || executor.isShutdown()) {
            return "lease " + lease + ": the election is not running";
        }
        return "lease " + lease + ": not reached since " + lastContact;
    }

    @Override
    public synchronized void close() {
        closed = true;
        CompletableFuture<?> r = running;
        if (r != null) {
            r.cancel(true);
        }
        stopped();
        executor.shutdownNow();
        client.close();
    }

    /** The Lease lock, noting each time the API server answered about it. */
    private final class ContactRecordingLock implements Lock {
        private final Lock delegate;

        ContactRecordingLock(Lock delegate) {
            this.delegate = delegate;
        }

        @Override
        public LeaderElectionRecord get(KubernetesClient c) {
            LeaderElectionRecord r = delegate.get(c);
            lastContact = clock.instant();
            return r;
        }

        @Override
        public void create(KubernetesClient c, LeaderElectionRecord record) {
            delegate.create(c, record);
            lastContact = clock.instant();
        }

        @Override
        public void update(KubernetesClient c, LeaderElectionRecord record) {
            delegate.update(c, record);
            lastContact = clock.instant();
        }

        @Override
        public String identity() {
            return delegate.identity();
        }

        @Override
        public String describe() {
            return delegate.describe();
        }
    }
}
