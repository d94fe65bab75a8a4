package dsp.kubernetes;

import static dsp.kubernetes.ScalingControllerTest.FAST;
import static dsp.kubernetes.ScalingControllerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.config.PoolConfig;
import dsp.core.model.PoolCatalog;
import dsp.kubernetes.agent.NodeAgent;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.crd.PoolVolume;
import dsp.node.QemuImg;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The external-provisioner contract on the mock, with real node agents on temporary roots. */
class ProvisionerTest {

    @TempDir
    Path disks;

    private TestCluster cluster;
    private ControllerRuntime controller;
    private final List<AutoCloseable> running = new ArrayList<>();

    @BeforeEach
    void start() {
        cluster = new TestCluster();
        cluster.addNode("k8s-1", "k8s");
        cluster.addNode("k8s-2", "k8s");
        cluster.addNode("vm-1", "vm");
        storageClass("k8s-pool-storage", "k8s", "Delete");
        storageClass("vm-pool-storage", "vm", "Retain");
        controller = new ControllerRuntime(cluster.client, PoolConfig.Configuration.guideDefaults(), Names.NAMESPACE, "controller-a",
                Clock.systemUTC()).start(Set.of(ControllerRuntime.Role.PROVISIONER, ControllerRuntime.Role.SCALING), FAST, "127.0.0.1", 0);
        running.add(controller);
        for (String node : List.of("k8s-1", "k8s-2", "vm-1")) {
            running.add(NodeAgents.start(cluster.client, node, root(node), PoolCatalog.guideDefaults(), "vm", QemuImg.onPath(),
                    Clock.systemUTC(), Duration.ofMillis(500)));
        }
        running.add(new FakePvController(cluster.client));
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
        cluster.close();
    }

    private Path root(String node) {
        return disks.resolve(node);
    }

    private void storageClass(String name, String pool, String reclaim) {
        cluster.client.storage().v1().storageClasses().resource(new StorageClassBuilder().withNewMetadata().withName(name).endMetadata()
                .withProvisioner(Names.PROVISIONER).addToParameters("pool", pool).withReclaimPolicy(reclaim).withAllowVolumeExpansion(true)
                .withVolumeBindingMode("WaitForFirstConsumer").build()).create();
    }

    private PersistentVolumeClaim claim(String name, String storageClass, String size, String selectedNode) {
        PersistentVolumeClaimBuilder b = new PersistentVolumeClaimBuilder().withNewMetadata().withName(name).withNamespace("default")
                .addToAnnotations(Names.STORAGE_PROVISIONER_ANN, Names.PROVISIONER).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName(storageClass)
                .withNewResources().addToRequests("storage", new Quantity(size)).endResources().endSpec();
        if (selectedNode != null) {
            b.editMetadata().addToAnnotations(Names.SELECTED_NODE_ANN, selectedNode).endMetadata();
        }
        return cluster.client.persistentVolumeClaims().inNamespace("default").resource(b.build()).create();
    }

    private static com.fasterxml.jackson.databind.JsonNode readTree(String json) {
        try {
            return new ObjectMapper().readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private PersistentVolume pvFor(PersistentVolumeClaim c) {
        return cluster.client.persistentVolumes().withName("pvc-" + c.getMetadata().getUid()).get();
    }

    @Test
    void aClaimWithSelectedNodeGetsExactlyOneLocalPvOnThatNode() throws Exception {
        PersistentVolumeClaim c = claim("app-pvc", "k8s-pool-storage", "100Gi", "k8s-1");
        await(() -> pvFor(c) != null);
        PersistentVolume pv = pvFor(c);
        assertThat(pv.getMetadata().getAnnotations()).containsEntry(Names.PROVISIONED_BY_ANN, Names.PROVISIONER);
        assertThat(pv.getSpec().getCapacity().get("storage")).isEqualTo(new Quantity("100Gi"));
        assertThat(pv.getSpec().getPersistentVolumeReclaimPolicy()).isEqualTo("Delete");
        assertThat(pv.getSpec().getStorageClassName()).isEqualTo("k8s-pool-storage");
        assertThat(pv.getSpec().getLocal().getPath()).isEqualTo("/k8s-storage-pool/pvc-" + c.getMetadata().getUid());
        var term = pv.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms().get(0).getMatchExpressions().get(0);
        assertThat(term.getKey()).isEqualTo("kubernetes.io/hostname");
        assertThat(term.getValues()).containsExactly("k8s-1");
        assertThat(pv.getSpec().getClaimRef().getUid()).isEqualTo(c.getMetadata().getUid());
        assertThat(root("k8s-1").resolve("k8s-storage-pool").resolve(pv.getMetadata().getName())).isDirectory();
        await(() -> {
            var st = cluster.client.persistentVolumeClaims().inNamespace("default").withName("app-pvc").get().getStatus();
            return st != null && "Bound".equals(st.getPhase());
        });
        Thread.sleep(300); // further events must not make a second volume
        assertThat(cluster.client.persistentVolumes().list().getItems()).hasSize(1);
        assertThat(cluster.client.resources(PoolVolume.class).list().getItems()).hasSize(1);
        await(() -> controller.queries().status().pool("k8s").orElseThrow().used() == 107_374_182_400L);

        // what is written there shows up as measured bytes, reported by the node's agent
        Path dir = root("k8s-1").resolve("k8s-storage-pool").resolve(pv.getMetadata().getName());
        Files.write(dir.resolve("data.bin"), new byte[8 * 1024 * 1024]);
        await(() -> controller.queries().status().pool("k8s").orElseThrow().measured() >= 8L * 1024 * 1024);
        await(() -> {
            PoolVolume v = cluster.client.resources(PoolVolume.class).list().getItems().get(0);
            return v.getStatus().measuredBytes != null && v.getStatus().measuredBytes >= 8L * 1024 * 1024;
        });
        await(() -> readTree(cluster.client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get()
                .getData().get(Names.POOL_STATUS_KEY)).at("/k8s_pool/measured_used_gb").asDouble() >= 0.01);
    }

    @Test
    void aFullNodeOrANodeOutsideThePoolSendsTheClaimBackToTheScheduler() throws Exception {
        Conflicts.retry(() -> cluster.client.nodes().withName("k8s-2").edit(n -> {
            var ann = new java.util.HashMap<>(n.getMetadata().getAnnotations() == null ? Map.<String, String>of() : n.getMetadata().getAnnotations());
            ann.put(Names.SHARE_ANNOTATION, "50G");
            n.getMetadata().setAnnotations(ann);
            return n;
        }));
        await(() -> controller.queries().ledger().server("k8s-2").map(s -> s.shareOverride().isPresent()).orElse(false));
        PersistentVolumeClaim full = claim("too-big", "k8s-pool-storage", "100Gi", "k8s-2");
        PersistentVolumeClaim outside = claim("wrong-pool", "k8s-pool-storage", "10Gi", "vm-1");
        for (String name : List.of("too-big", "wrong-pool")) {
            await(() -> !cluster.client.persistentVolumeClaims().inNamespace("default").withName(name).get()
                    .getMetadata().getAnnotations().containsKey(Names.SELECTED_NODE_ANN));
            await(() -> cluster.client.v1().events().inNamespace("default").list().getItems().stream()
                    .anyMatch(e -> e.getInvolvedObject().getName().equals(name) && e.getReason().equals("ProvisioningFailed")
                            && e.getMessage().contains("pick another node")));
        }
        assertThat(pvFor(full)).isNull();
        assertThat(pvFor(outside)).isNull();
        assertThat(cluster.client.resources(PoolVolume.class).list().getItems()).isEmpty();
        // the scheduler picks again: now it fits
        Conflicts.retry(() -> cluster.client.persistentVolumeClaims().inNamespace("default").withName("too-big").edit(p -> {
            p.getMetadata().getAnnotations().put(Names.SELECTED_NODE_ANN, "k8s-1");
            return p;
        }));
        await(() -> pvFor(full) != null);
    }

    @Test
    void releasedDeleteRemovesTheDirectoryAndRetainKeepsIt() throws Exception {
        PersistentVolumeClaim del = claim("scratch", "k8s-pool-storage", "1Gi", "k8s-1");
        PersistentVolumeClaim keep = claim("vm-images", "vm-pool-storage", "1Gi", "vm-1");
        await(() -> pvFor(del) != null && pvFor(keep) != null);
        Path delDir = root("k8s-1").resolve("k8s-storage-pool").resolve("pvc-" + del.getMetadata().getUid());
        Path keepDir = root("vm-1").resolve("vm-storage-pool").resolve("pvc-" + keep.getMetadata().getUid());
        Files.writeString(delDir.resolve("data.txt"), "scratch");
        Files.writeString(keepDir.resolve("image.txt"), "precious");
        await(() -> "Bound".equals(pvFor(del).getStatus() == null ? null : pvFor(del).getStatus().getPhase()));
        await(() -> "Bound".equals(pvFor(keep).getStatus() == null ? null : pvFor(keep).getStatus().getPhase()));

        cluster.client.persistentVolumeClaims().inNamespace("default").withName("scratch").delete();
        cluster.client.persistentVolumeClaims().inNamespace("default").withName("vm-images").delete();
        await(() -> pvFor(del) == null);
        assertThat(delDir).doesNotExist();
        await(() -> "Released".equals(pvFor(keep).getStatus().getPhase()));
        Thread.sleep(500);
        assertThat(pvFor(keep)).isNotNull();
        assertThat(keepDir.resolve("image.txt")).hasContent("precious");
        assertThat(cluster.client.resources(PoolVolume.class).list().getItems()).hasSize(1);
    }

    @Test
    void aNodeLeavingThePoolStrandsItsVolumesWithoutTouchingThem() throws Exception {
        PersistentVolumeClaim c = claim("db", "k8s-pool-storage", "10Gi", "k8s-1");
        await(() -> pvFor(c) != null);
        Path dir = root("k8s-1").resolve("k8s-storage-pool").resolve("pvc-" + c.getMetadata().getUid());
        Files.writeString(dir.resolve("table"), "rows");
        cluster.label("k8s-1", null);
        await(() -> controller.queries().status().pool("k8s").orElseThrow().strandedVolumes() == 1);
        await(() -> cluster.client.v1().events().inNamespace(Names.NAMESPACE).list().getItems().stream()
                .anyMatch(e -> e.getReason().equals("VolumesStranded")));
        assertThat(dir.resolve("table")).hasContent("rows");
        assertThat(pvFor(c)).isNotNull();
        assertThat(cluster.client.resources(PoolVolume.class).list().getItems()).hasSize(1);
        String status = cluster.client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get().getData().get(Names.POOL_STATUS_KEY);
        await(() -> readTree(cluster.client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get()
                .getData().get(Names.POOL_STATUS_KEY)).at("/k8s_pool/stranded_volumes").asInt() == 1);
        assertThat(status).isNotNull();
    }

    @Test
    void aBoundClaimGrowsWithinItsNodeAndNeverBeyond() throws Exception {
        PersistentVolumeClaim c = claim("grow-me", "k8s-pool-storage", "100Gi", "k8s-1");
        await(() -> pvFor(c) != null);
        await(() -> {
            var st = cluster.client.persistentVolumeClaims().inNamespace("default").withName("grow-me").get().getStatus();
            return st != null && "Bound".equals(st.getPhase());
        });
        resize("grow-me", "200Gi");
        await(() -> new Quantity("200Gi").equals(pvFor(c).getSpec().getCapacity().get("storage")));
        await(() -> {
            var st = cluster.client.persistentVolumeClaims().inNamespace("default").withName("grow-me").get().getStatus();
            return st.getCapacity() != null && new Quantity("200Gi").equals(st.getCapacity().get("storage"));
        });
        assertThat(controller.queries().ledger().allocatedOn("k8s-1")).isEqualTo(214_748_364_800L);
        resize("grow-me", "2Ti"); // more than the node's 1.5 TB share
        await(() -> cluster.client.v1().events().inNamespace("default").list().getItems().stream()
                .anyMatch(e -> e.getReason().equals("VolumeResizeFailed") && e.getMessage().contains("k8s-1")));
        assertThat(pvFor(c).getSpec().getCapacity().get("storage")).isEqualTo(new Quantity("200Gi"));
        assertThat(controller.queries().ledger().allocatedOn("k8s-1")).isEqualTo(214_748_364_800L);
    }

    private void resize(String claim, String size) {
        Conflicts.retry(() -> cluster.client.persistentVolumeClaims().inNamespace("default").withName(claim).edit(p -> {
            p.getSpec().getResources().getRequests().put("storage", new Quantity(size));
            return p;
        }));
    }

    @Test
    void aBurstOfClaimsForOneNodeNeverOversellsIt() throws Exception {
        List<PersistentVolumeClaim> claims = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            claims.add(claim("burst-" + i, "k8s-pool-storage", "100Gi", "k8s-1"));
        }
        // 1.5 TB / 100 GiB: 13 fit on k8s-1, the other 7 go back to the scheduler
        await(() -> claims.stream().filter(c -> pvFor(c) != null).count() == 13
                && claims.stream().filter(c -> !cluster.client.persistentVolumeClaims().inNamespace("default")
                .withName(c.getMetadata().getName()).get().getMetadata().getAnnotations().containsKey(Names.SELECTED_NODE_ANN)).count() == 7);
        long allocated = controller.queries().ledger().allocatedOn("k8s-1");
        assertThat(allocated).isLessThanOrEqualTo(1_500_000_000_000L).isEqualTo(13 * 107_374_182_400L);
    }
}
