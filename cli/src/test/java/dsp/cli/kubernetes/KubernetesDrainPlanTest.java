package dsp.cli.kubernetes;

import static dsp.kubernetes.RunningRoles.FAST;
import static dsp.kubernetes.Waiting.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.crd.PoolVolume;
import dsp.kubernetes.TestCluster;
import dsp.kubernetes.RunningRoles;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A drain's dry run in Kubernetes mode: what the node holds, where each disk would go and why the
 * rest stays; it changes nothing. (The moves themselves: {@link KubernetesDrainMoveTest}.)
 */
class KubernetesDrainPlanTest {

    private static final String NODE = "ip-10-0-0-1.ec2.internal";
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theDryRunOfANodesDrainListsWhatItHoldsWhereEachDiskWouldGoAndChangesNothing() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            cluster.addNode(NODE, "vm");
            cluster.addNode("vm-2", "vm");
            cluster.addNode("k8s-1", "k8s");
            try (RunningRoles roles = ComposedRoles.start(cluster, Set.of(ControllerRuntime.Role.API), FAST);
                 SharedIndexInformer<PoolVolume> informer = cluster.client.resources(PoolVolume.class).inform()) {
                await(roles::isAdmissionLeader);
                PoolVolumeStore store = new PoolVolumeStore(cluster.client, informer, new dsp.core.ledger.CapacityLedger(dsp.core.model.PoolCatalog.guideDefaults()));
                store.addAllocation(new Allocation("disk-1", "disk-1", "vm", NODE, 20_000_000_000L, "volume", Instant.now(),
                        VolumeFormat.QCOW2, Optional.empty(), Optional.empty(), VolumePhase.READY));
                store.addAllocation(new Allocation("pvc-1", "pvc-1", "k8s", NODE, 1_000_000_000L, PoolVolumeStore.CLAIM_KIND, Instant.now(),
                        VolumeFormat.DIRECTORY, Optional.empty(), Optional.empty(), VolumePhase.READY));
                for (String made : new String[] {"disk-1", "pvc-1"}) { // what each node's agent reports once it made the data
                    cluster.client.resources(PoolVolume.class).withName(made).editStatus(v -> {
                        v.setStatus(new PoolVolume.Status());
                        v.getStatus().phase = "Ready";
                        return v;
                    });
                }
                String url = "http://127.0.0.1:" + roles.apiPort() + "/api/v1/servers/" + NODE + "/drain";

                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                        .until(() -> post(url + "?dry_run=true", 200).findValuesAsText("phase").equals(java.util.List.of("Ready", "Ready")));
                JsonNode plan = post(url + "?dry_run=true", 200);
                assertThat(plan.get("server").asText()).isEqualTo(NODE);
                assertThat(plan.get("drained").asBoolean()).isFalse();
                assertThat(plan.get("volumes")).hasSize(2);
                JsonNode disk = volume(plan, "disk-1");
                assertThat(disk.get("action").asText()).isEqualTo("move");
                assertThat(disk.get("target").asText()).isEqualTo("vm-2");
                assertThat(disk.get("reason").isNull()).as(disk.toString()).isTrue();
                assertThat(volume(plan, "pvc-1").get("action").asText()).isEqualTo("stays");
                assertThat(volume(plan, "pvc-1").get("reason").asText()).contains("PersistentVolume is pinned to its node");

                assertThat(cluster.client.resources(PoolVolume.class).withName("disk-1").get().getSpec().node).isEqualTo(NODE);
                assertThat(cluster.client.resources(PoolVolume.class).list().getItems()).as("a dry run records nothing").hasSize(2);
                post("http://127.0.0.1:" + roles.apiPort() + "/api/v1/servers/nowhere/drain?dry_run=true", 404);
            }
        }
    }

    private JsonNode post(String url, int expected) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url + " -> " + r.body()).isEqualTo(expected);
        return new ObjectMapper().readTree(r.body());
    }

    private static JsonNode volume(JsonNode drain, String name) {
        for (JsonNode v : drain.get("volumes")) {
            if (v.get("name").asText().equals(name)) {
                return v;
            }
        }
        throw new AssertionError(name + " not in " + drain);
    }
}
