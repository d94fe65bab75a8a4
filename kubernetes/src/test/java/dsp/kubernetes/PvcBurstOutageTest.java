package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dsp.kubernetes.TestCluster.Workload;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outage: the API server stops answering for 30 s in the middle of a burst of claims.
 * Leases expire, watches are cut, writes in flight are lost or half-done; afterwards every claim
 * must be provisioned exactly once (one PV named after its uid, one PoolVolume, one allocation in
 * the ledger) by the same processes: nothing restarted, the provisioner led again by itself.
 */
class PvcBurstOutageTest {

    private static final int CLAIMS = 24;

    @TempDir
    Path disks;

    @Test
    void aThirtySecondPauseInAPvcBurstEndsWithEveryClaimProvisionedOnce() throws Exception {
        try (ProvisioningWorld world = ProvisioningWorld.started(disks)) {
            ControllerRuntime provisioner = world.controller.runtime(Workload.PROVISIONER);
            List<PersistentVolumeClaim> claims = new ArrayList<>();
            for (int i = 0; i < CLAIMS; i++) {
                claims.add(world.claim("burst-" + i, "k8s-pool-storage", "1Gi", i % 2 == 0 ? "k8s-1" : "k8s-2"));
                if (i == CLAIMS / 2) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> world.cluster.client.persistentVolumes().list().getItems().size() >= 3);
                }
            }
            world.cluster.pause(Duration.ofSeconds(5)); // requests hang 5 s, then their connections are reset
            await().atMost(Duration.ofSeconds(15)).until(() -> !provisioner.isAdmissionLeader());
            // the outage itself, 30 s in which no process may believe it leads (it cannot reach its Lease)
            await().during(Duration.ofSeconds(30)).atMost(Duration.ofSeconds(31)).until(() -> !provisioner.isAdmissionLeader());
            world.cluster.resume();

            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .until(() -> claims.stream().allMatch(c -> world.bound(c.getMetadata().getName())));
            List<PersistentVolume> pvs = world.cluster.client.persistentVolumes().list().getItems();
            assertThat(pvs).hasSize(CLAIMS);
            Map<String, String> pvByClaim = pvs.stream().collect(Collectors.toMap(pv -> pv.getSpec().getClaimRef().getUid(),
                    pv -> pv.getMetadata().getName()));
            for (PersistentVolumeClaim c : claims) {
                assertThat(pvByClaim).containsEntry(c.getMetadata().getUid(), "pvc-" + c.getMetadata().getUid());
            }
            List<PoolVolume> volumes = world.poolVolumes();
            assertThat(volumes).hasSize(CLAIMS);
            assertThat(volumes.stream().map(v -> v.getSpec().name).distinct().count()).isEqualTo(CLAIMS);
            assertThat(world.allocatedOn("k8s-1") + world.allocatedOn("k8s-2")).isEqualTo(CLAIMS * 1024L * 1024 * 1024);
            Map<String, Long> perNode = volumes.stream().collect(Collectors.groupingBy(v -> v.getSpec().node, Collectors.counting()));
            assertThat(perNode).containsEntry("k8s-1", (long) CLAIMS / 2).containsEntry("k8s-2", (long) CLAIMS / 2);

            // the same processes, leading again by themselves and alive
            await().atMost(Duration.ofSeconds(20)).until(provisioner::isAdmissionLeader);
            assertThat(provisioner.unhealthy()).isEmpty();
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + provisioner.healthPort() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
            assertThat(volumes.stream().collect(Collectors.groupingBy(v -> v.getSpec().claimName, Collectors.counting())))
                    .allSatisfy((claim, n) -> assertThat(n).as(claim).isEqualTo(1L));
        }
    }

}
