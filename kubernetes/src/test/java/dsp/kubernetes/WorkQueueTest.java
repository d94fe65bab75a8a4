package dsp.kubernetes;

import static dsp.kubernetes.ScalingControllerTest.await;
import static dsp.kubernetes.ScalingControllerTest.holdsFor;
import static org.assertj.core.api.Assertions.assertThat;

import dsp.kubernetes.work.WorkQueue;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WorkQueueTest {

    @Test
    void aKeyIsNeverWorkedOnTwiceAtOnceAndAnAddWhileRunningRunsItAgain() throws Exception {
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (WorkQueue q = new WorkQueue("test", 4, key -> {
            int now = concurrent.incrementAndGet();
            maxConcurrent.accumulateAndGet(now, Math::max);
            if (runs.incrementAndGet() == 1) {
                firstStarted.countDown();
                try {
                    release.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            concurrent.decrementAndGet();
        })) {
            q.add("k");
            assertThat(firstStarted.await(5, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 10; i++) {
                q.add("k"); // while it runs: coalesced into one more run afterwards
            }
            holdsFor(Duration.ofMillis(100), () -> runs.get() == 1);
            release.countDown();
            await(() -> runs.get() == 2);
            holdsFor(Duration.ofMillis(100), () -> runs.get() == 2); // ten adds while running: one more run, not ten
            assertThat(maxConcurrent.get()).isEqualTo(1);
        }
    }

    @Test
    void failuresAreRetriedWithBackoff() throws Exception {
        ConcurrentHashMap<String, Integer> attempts = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(1);
        try (WorkQueue q = new WorkQueue("test", 2, key -> {
            if (attempts.merge(key, 1, Integer::sum) < 3) {
                throw new IllegalStateException("not yet");
            }
            done.countDown();
        })) {
            q.add("k");
            assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(attempts.get("k")).isEqualTo(3);
        }
    }

    @Test
    void aFreeWorkerServesTheFirstLaneFirstAndEachLaneInOrder() throws Exception {
        java.util.List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch all = new CountDownLatch(6);
        try (WorkQueue q = WorkQueue.withLanes("test", 1)) {
            WorkQueue.Lane finishing = q.lane("finishing", key -> {
                order.add(key);
                all.countDown();
            });
            WorkQueue.Lane starting = q.lane("starting", key -> {
                if (key.equals("s0")) {
                    started.countDown();
                    try {
                        release.await(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                order.add(key);
                all.countDown();
            });
            starting.add("s0");
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            starting.add("s1");
            starting.add("s2");
            finishing.add("f1");
            finishing.add("f2");
            starting.add("s3");
            assertThat(q.depth()).isEqualTo(5);
            release.countDown();
            assertThat(all.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(order).containsExactly("s0", "f1", "f2", "s1", "s2", "s3");
        }
    }
}
