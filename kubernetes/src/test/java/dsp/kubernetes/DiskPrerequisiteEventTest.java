package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.kubernetes.controller.ControllerRuntime;
import io.fabric8.kubernetes.api.model.Event;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The guide's prerequisite on Kubernetes: a node whose disk cannot hold share + reserve gets a warning Event, once. */
class DiskPrerequisiteEventTest {

    @Test
    void aNodeWhoseDiskIsTooSmallGetsOneWarningEventAndIsNamedInHealth() {
        try (TestCluster cluster = new TestCluster()) {
            cluster.addNode("k8s-1", "k8s");
            cluster.addNode("k8s-2", "k8s");
            report(cluster, "k8s-1", 1_000_000_000_000L);
            report(cluster, "k8s-2", 2_000_000_000_000L);
            RunningRoles controller = RunningRoles.start(cluster, Set.of(ControllerRuntime.Role.SCALING), ScalingControllerTest.FAST);
            try {
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !tooSmall(cluster).isEmpty());
                Event e = tooSmall(cluster).get(0);
                assertThat(e.getType()).isEqualTo("Warning");
                assertThat(e.getInvolvedObject().getKind()).isEqualTo("Node");
                assertThat(e.getInvolvedObject().getName()).isEqualTo("k8s-1");
                assertThat(e.getMessage()).contains("holds 1 TB").contains("(1.8 TB)");
                assertThat(controller.queries().status().warnings()).anySatisfy(w -> assertThat(w).contains("server k8s-1's disk holds 1 TB"));
                controller.reconcileNow();
                controller.reconcileNow();
                assertThat(tooSmall(cluster)).as("one Event per transition, not one per pass").hasSize(1);
            } finally {
                controller.close();
            }
        }
    }

    private static List<Event> tooSmall(TestCluster cluster) {
        return cluster.client.v1().events().inAnyNamespace().list().getItems().stream()
                .filter(e -> "DiskTooSmall".equals(e.getReason())).toList();
    }

    private static void report(TestCluster cluster, String node, long filesystemBytes) {
        String json = "{\"poolBytes\":{\"k8s\":0},\"otherBytes\":0,\"filesystemBytes\":" + filesystemBytes
                + ",\"filesystemFreeBytes\":" + filesystemBytes / 2 + ",\"templates\":[],\"reportedAt\":\"" + Instant.now() + "\"}";
        cluster.client.nodes().withName(node).edit(n -> {
            var a = n.getMetadata().getAnnotations() == null ? new HashMap<String, String>() : new HashMap<>(n.getMetadata().getAnnotations());
            a.put(Names.DISK_REPORT_ANNOTATION, json);
            n.getMetadata().setAnnotations(a);
            return n;
        });
    }
}
