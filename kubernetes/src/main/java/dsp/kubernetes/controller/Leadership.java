package dsp.kubernetes.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectorBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One Lease per writing role: only its holder writes; a second replica waits. */
public final class Leadership implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

    /** Lease timing; tests shorten it. */
    public record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
        public static final Timing DEFAULT = new Timing(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
    }

    private final String lease;
    private final AtomicBoolean leading = new AtomicBoolean();
    private final ExecutorService executor;
    private final CompletableFuture<?> running;

    public Leadership(KubernetesClient client, String namespace, String lease, String identity, Timing timing,
                      Runnable onStart, Runnable onStop) {
        this.lease = lease;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "lease-" + lease);
            t.setDaemon(true);
            return t;
        });
        LeaderElector elector = new LeaderElectorBuilder(client, executor).withConfig(new LeaderElectionConfigBuilder()
                .withName(lease)
                .withLock(new LeaseLock(namespace, lease, identity))
                .withLeaseDuration(timing.leaseDuration())
                .withRenewDeadline(timing.renewDeadline())
                .withRetryPeriod(timing.retryPeriod())
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(() -> {
                    leading.set(true);
                    LOG.info("Lease {}/{}: {} is the leader; starting", namespace, lease, identity);
                    onStart.run();
                }, () -> {
                    boolean was = leading.getAndSet(false);
                    if (was) {
                        LOG.info("Lease {}/{}: {} lost the lease; stopping writes", namespace, lease, identity);
                        onStop.run();
                    }
                }, leader -> LOG.info("Lease {}/{}: leader is {}", namespace, lease, leader)))
                .build()).build();
        this.running = elector.start();
    }

    public boolean isLeader() {
        return leading.get();
    }

    public String lease() {
        return lease;
    }

    @Override
    public void close() {
        running.cancel(true);
        executor.shutdownNow();
    }
}
