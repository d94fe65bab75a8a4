package dsp.kubernetes;

import static dsp.kubernetes.ScalingControllerTest.FAST;
import static dsp.kubernetes.ScalingControllerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import dsp.config.PoolConfig;
import dsp.kubernetes.controller.ControllerRuntime;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.time.Clock;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Two controller instances: one leads and writes, the other waits; when the leader goes, the other takes over. */
class LeaderElectionTest {

    @Test
    void twoControllersNeverBothWrite() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            cluster.addNode("k8s-1", "k8s");
            Set<ControllerRuntime.Role> roles = Set.of(ControllerRuntime.Role.SCALING, ControllerRuntime.Role.PROVISIONER);
            RunningRoles a = RunningRoles.start(cluster, PoolConfig.Configuration.guideDefaults(), "replica-a", roles, FAST, false);
            RunningRoles b = RunningRoles.start(cluster, PoolConfig.Configuration.guideDefaults(), "replica-b", roles, FAST, false);
            Set<String> writers = new HashSet<>();
            ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor();
            try {
                await(() -> a.isScalingLeader() || b.isScalingLeader());
                watch.scheduleWithFixedDelay(() -> {
                    assertThat(a.isScalingLeader() && b.isScalingLeader()).as("two scaling leaders").isFalse();
                    assertThat(a.isAdmissionLeader() && b.isAdmissionLeader()).as("two admission leaders").isFalse();
                    ConfigMap cm = cluster.client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get();
                    if (cm != null) {
                        writers.add(cm.getMetadata().getAnnotations().get(Names.GROUP + "/written-by"));
                    }
                }, 0, 20, TimeUnit.MILLISECONDS);
                for (int i = 2; i <= 6; i++) {
                    cluster.addNode("k8s-" + i, "k8s");
                    Thread.sleep(150);
                }
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
            } finally {
                watch.shutdownNow();
                a.close();
                b.close();
            }
        }
    }
}
