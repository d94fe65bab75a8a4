package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dsp.cli.kubernetes.ComposedRoles;
import dsp.config.PoolConfig;
import dsp.kubernetes.controller.ControllerRuntime.Role;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provisioner's world (ProvisioningWorld, package dsp.kubernetes of the kubernetes module's
 * test jar) with the HTTP API that poolctl controller composes on top: what a claim's volume
 * looks like through the volume API.
 */
class ProvisionerApiTest {

    @TempDir
    Path disks;

    private ProvisioningWorld world;

    @AfterEach
    void stop() throws Exception {
        if (world != null) {
            world.close();
        }
    }

    /**
     * A Released Retain PV deleted by hand: the data stays (Retain) as a released volume that
     * nobody owns any more, which the volume API can then delete; while the PV existed, the API
     * said which object held it.
     */
    @Test
    void aRetainPvDeletedByHandLeavesAReleasedVolumeTheApiCanDelete() throws Exception {
        world = new ProvisioningWorld(disks);
        world.startController(ComposedRoles.composer(PoolConfig.Configuration.guideDefaults(), false), null, Clock.systemUTC(),
                Set.of(Role.PROVISIONER, Role.SCALING, Role.API));
        ProvisioningWorld.NODES.forEach(world::startAgent);
        String api = "http://127.0.0.1:" + world.controller.apiPort();
        PersistentVolumeClaim c = world.claim("vm-images", "vm-pool-storage", "10Gi", "vm-1");
        String name = "pvc-" + c.getMetadata().getUid();
        await().until(() -> world.bound("vm-images"));
        Path dir = world.dir("vm-1", "vm", name);
        Files.writeString(dir.resolve("image.txt"), "precious");
        HttpResponse<String> inUse = call("DELETE", api + "/api/v1/volumes/" + name);
        assertThat(inUse.statusCode()).isEqualTo(409);
        assertThat(inUse.body()).contains("PersistentVolumeClaim default/vm-images").doesNotContain("VM");

        world.deleteClaim("vm-images");
        await().until(() -> "Released".equals(world.phaseOf(world.pvFor(c))));
        await().until(() -> call("DELETE", api + "/api/v1/volumes/" + name).body().contains("PersistentVolume " + name));
        world.cluster.client.persistentVolumes().withName(name).delete();
        await().until(() -> world.pvFor(c) == null);
        await().until(() -> world.poolVolume(name).map(v -> Boolean.TRUE.equals(v.getSpec().released) && v.getSpec().owner == null).orElse(false));
        assertThat(dir.resolve("image.txt")).hasContent("precious");
        assertThat(world.allocatedOn("vm-1")).isEqualTo(10_737_418_240L);
        await().until(() -> world.hasEvent(name, "VolumeRetained", "DELETE /api/v1/volumes/" + name));

        assertThat(call("DELETE", api + "/api/v1/volumes/" + name).statusCode()).isEqualTo(200);
        await().until(() -> world.poolVolume(name).isEmpty());
        assertThat(dir).doesNotExist();
        await().until(() -> world.allocatedOn("vm-1") == 0);
    }

    private static HttpResponse<String> call(String method, String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
