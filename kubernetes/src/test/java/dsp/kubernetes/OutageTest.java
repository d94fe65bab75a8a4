package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.controller.Leadership;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * An API server that stalls longer than the Lease: the leader must lose the Lease (it cannot renew),
 * run for election again once the server is back, and catch up; liveness fails only while it
 * cannot recover. Before, fabric8's elector stopped for good and /healthz kept saying ok.
 */
class OutageTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Lease 2 s, renew deadline 1.5 s; liveness fails after 4 s without reaching the Lease. */
    private static final Leadership.Timing TIMING = new Leadership.Timing(Duration.ofSeconds(2), Duration.ofMillis(1500),
            Duration.ofMillis(200), Duration.ofSeconds(4));
    private final HttpClient http = HttpClient.newHttpClient();

    private int healthz(int port) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private int k8sServers(TestCluster cluster) {
        var cm = cluster.client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get();
        try {
            return cm == null ? -1 : JSON.readTree(cm.getData().get(Names.POOL_STATUS_KEY)).at("/k8s_pool/servers").asInt();
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void aLeaderThatLostItsLeaseInAStallLeadsAgainAndCatchesUp() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            cluster.addNode("k8s-1", "k8s");
            try (RunningRoles roles = RunningRoles.start(cluster, Set.of(ControllerRuntime.Role.SCALING), TIMING)) {
                ControllerRuntime scaling = roles.runtime(TestCluster.Workload.SCALING);
                await().atMost(Duration.ofSeconds(20)).until(() -> k8sServers(cluster) == 1);
                assertThat(healthz(scaling.healthPort())).isEqualTo(200);

                cluster.pause(Duration.ofSeconds(1));
                await().atMost(Duration.ofSeconds(10)).until(() -> !scaling.isScalingLeader()); // it cannot renew: it stops writing
                await().atMost(Duration.ofSeconds(10)).until(() -> healthz(scaling.healthPort()) == 503); // and cannot recover while stalled
                cluster.resume();

                await().atMost(Duration.ofSeconds(20)).until(scaling::isScalingLeader);
                assertThat(healthz(scaling.healthPort())).isEqualTo(200);
                cluster.addNode("k8s-2", "k8s");
                await().atMost(Duration.ofSeconds(20)).until(() -> k8sServers(cluster) == 2);
            }
        }
    }
}
