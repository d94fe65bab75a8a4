package dsp.kubernetes;

import static dsp.kubernetes.ScalingControllerTest.FAST;
import static dsp.kubernetes.ScalingControllerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.core.model.PoolCatalog;
import dsp.kubernetes.controller.ControllerRuntime;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Two controller instances: one leads and writes, the other waits; when the leader goes, the other takes over. */
class LeaderElectionTest {

    @Test
    void twoControllersNeverBothWrite() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            cluster.addNode("k8s-1", "k8s");
            Set<ControllerRuntime.Role> roles = Set.of(ControllerRuntime.Role.SCALING, ControllerRuntime.Role.PROVISIONER);
            // each replica as deploy/ runs it: every role under its own ServiceAccount
            RunningRoles a = RunningRoles.start(cluster, PoolCatalog.guideDefaults(), "replica-a", roles, FAST);
            RunningRoles b = RunningRoles.start(cluster, PoolCatalog.guideDefaults(), "replica-b", roles, FAST);
            // written by the watcher thread, read by the test thread: thread-safe, and the watcher only
            // records; every assertion is made here on the test thread (an assertion thrown inside a
            // scheduled task would silently cancel the task and fail nothing)
            Set<String> writers = ConcurrentHashMap.newKeySet();
            Queue<String> violations = new ConcurrentLinkedQueue<>();
            AtomicInteger samples = new AtomicInteger();
            ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor();
            try {
                await(() -> a.isScalingLeader() || b.isScalingLeader());
                watch.scheduleWithFixedDelay(() -> {
                    try {
                        if (a.isScalingLeader() && b.isScalingLeader()) {
                            violations.add("two scaling leaders");
                        }
                        if (a.isAdmissionLeader() && b.isAdmissionLeader()) {
                            violations.add("two admission leaders");
                        }
                        ConfigMap cm = cluster.client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get();
                        if (cm != null) {
                            writers.add(cm.getMetadata().getAnnotations().get(Names.GROUP + "/written-by"));
                        }
                        samples.incrementAndGet();
                    } catch (RuntimeException e) {
                        violations.add("watcher failed: " + e);
                    }
                }, 0, 20, TimeUnit.MILLISECONDS);
                for (int i = 2; i <= 6; i++) {
                    cluster.addNode("k8s-" + i, "k8s");
                    int servers = i;
                    await(() -> k8sServersInPoolStatus(cluster) == servers);
                }
                assertThat(violations).isEmpty();
                RunningRoles leader = a.isScalingLeader() ? a : b;
                RunningRoles follower = leader == a ? b : a;
                String leaderId = leader == a ? "replica-a" : "replica-b";
                await(() -> writers.contains(leaderId));
                assertThat(writers).containsExactly(leaderId);
                // each Lease has exactly one holder (they may be different replicas)
                assertThat(a.isAdmissionLeader() ^ b.isAdmissionLeader()).isTrue();
                assertThat(follower.isScalingLeader()).isFalse();

                leader.close(); // releases its leases
                await(follower::isScalingLeader);
                await(follower::isAdmissionLeader);
                cluster.addNode("k8s-7", "k8s");
                await(() -> writers.size() == 2);
                int seen = samples.get();
                await(() -> samples.get() > seen); // the watcher is still running: nothing stopped it early
                assertThat(violations).isEmpty();
            } finally {
                watch.shutdownNow();
                a.close();
                b.close();
            }
        }
    }

    private static int k8sServersInPoolStatus(TestCluster cluster) {
        ConfigMap cm = cluster.client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get();
        if (cm == null || cm.getData() == null || cm.getData().get(Names.POOL_STATUS_KEY) == null) {
            return -1;
        }
        try {
            return new ObjectMapper().readTree(cm.getData().get(Names.POOL_STATUS_KEY)).at("/k8s_pool/servers").asInt(-1);
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
