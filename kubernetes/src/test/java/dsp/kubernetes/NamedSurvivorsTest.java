package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dsp.kubernetes.work.WorkQueue;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutants that once survived every test (#11); each test fails when its line is broken. The
 * storage-provisioner annotation naming another provisioner is ExternalProvisionerContractTest's
 * onlyClaimsThatNameThisProvisionerAreProvisioned.
 */
class NamedSurvivorsTest {

    @TempDir
    Path disks;

    private ProvisioningWorld world;

    @AfterEach
    void stop() throws Exception {
        if (world != null) {
            world.close();
        }
    }

    /** A timer that runs every task at once and writes down the delay each was scheduled with. */
    static final class RecordingWorkers extends ScheduledThreadPoolExecutor {
        final ConcurrentLinkedQueue<Long> delaysMillis = new ConcurrentLinkedQueue<>();

        RecordingWorkers() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            delaysMillis.add(unit.toMillis(delay));
            return super.schedule(command, 0, unit);
        }
    }

    @Test
    void aFailingKeyIsRetriedWithExponentialBackoff() throws Exception {
        RecordingWorkers workers = new RecordingWorkers();
        AtomicInteger attempts = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        try (WorkQueue q = new WorkQueue("test", 1, key -> {
            if (attempts.incrementAndGet() <= 4) {
                throw new IllegalStateException("not yet");
            }
            done.countDown();
        }, workers)) {
            q.add("k");
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        }
        // retried 200, 400, 800, 1600 ms after the 1st..4th failure (no sleeping here: the recording timer runs
        // each retry at once and keeps only the delay asked for)
        assertThat(List.copyOf(workers.delaysMillis)).containsExactly(200L, 400L, 800L, 1600L);
    }

    @Test
    void aClaimWhoseClassDoesNotAllowExpansionKeepsItsSize() {
        world = ProvisioningWorld.started(disks);
        world.storageClass("fixed-size", "k8s", "Delete", "WaitForFirstConsumer", c -> c.withAllowVolumeExpansion(false));
        PersistentVolumeClaim c = world.claim("fixed", "fixed-size", "10Gi", "k8s-1");
        await().until(() -> world.bound("fixed"));
        long before = world.allocatedOn("k8s-1");
        Conflicts.retry(() -> world.cluster.client.persistentVolumeClaims().inNamespace("default").withName("fixed").edit(p -> {
            p.getSpec().getResources().getRequests().put("storage", new Quantity("20Gi"));
            return p;
        }));
        await().until(() -> world.hasEvent("fixed", "VolumeResizeFailed", "does not allow expansion"));
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(5)).until(() ->
                new Quantity("10Gi").equals(world.pvFor(c).getSpec().getCapacity().get("storage")) && world.allocatedOn("k8s-1") == before);
    }
}
