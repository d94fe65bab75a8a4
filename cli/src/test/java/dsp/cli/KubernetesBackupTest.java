package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dsp.cli.client.CliFailure;
import dsp.kubernetes.Names;
import dsp.kubernetes.TestCluster;
import dsp.kubernetes.crd.PoolVirtualMachine;
import dsp.kubernetes.crd.PoolVolume;
import dsp.kubernetes.crd.StoragePool;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kubernetes mode: a backup of the cluster's objects restored into an empty cluster gives the same pools, volumes and VMs. */
class KubernetesBackupTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;


    private static PoolctlRun poolctl(String... args) {
        return PoolctlRun.of(args);
    }

    @Test
    void theObjectsAndTheConfigurationSurviveARoundTripIntoAnEmptyCluster() throws Exception {
        Path file = dir.resolve("cluster-backup.zip");
        Map<String, JsonNode> before;
        try (TestCluster source = new TestCluster()) {
            populate(source);
            before = objects(source);
            PoolctlRun b = poolctl("backup", file.toString(), "--kubeconfig", source.kubeconfig(Files.createDirectories(dir.resolve("a"))).toString());
            assertThat(b.code()).as(b.err()).isZero();
            assertThat(b.out()).contains("2 volumes, 1 VMs");
            assertThat(b.err()).as("progress in objects, as plain lines off a terminal (one per step and per tenth)").isEqualTo("""
                    backup: listing StoragePools
                    backup: listing PoolVolumes
                    backup: listing PoolVirtualMachines
                    backup: saving StoragePools 0%
                    backup: saving StoragePools 25%
                    backup: saving PoolVolumes 25%
                    backup: saving PoolVolumes 50%
                    backup: saving PoolVolumes 75%
                    backup: saving PoolVirtualMachines 75%
                    backup: saving PoolVirtualMachines 100%
                    backup: saving the configuration 100%
                    backup: done
                    """);
        }
        assertThat(before).hasSize(4);
        try (TestCluster target = new TestCluster()) {
            String kubeconfig = target.kubeconfig(Files.createDirectories(dir.resolve("b"))).toString();
            PoolctlRun r = poolctl("restore", file.toString(), "--kubeconfig", kubeconfig);
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("1 StoragePools, 2 PoolVolumes, 1 PoolVirtualMachines, configuration restored");
            assertThat(r.err()).as("progress in objects").isEqualTo("""
                    restore: restoring StoragePools 0%
                    restore: restoring StoragePools 25%
                    restore: restoring PoolVolumes 25%
                    restore: restoring PoolVolumes 50%
                    restore: restoring PoolVolumes 75%
                    restore: restoring PoolVirtualMachines 75%
                    restore: restoring PoolVirtualMachines 100%
                    restore: restoring the configuration 100%
                    restore: done
                    """);
            assertThat(objects(target)).isEqualTo(before);
            assertThat(target.client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get().getData())
                    .containsEntry(Names.CONFIG_KEY, "pools:\n  - name: k8s\n    share: 2T\n  - name: vm\n");

            PoolctlRun again = poolctl("restore", file.toString(), "--kubeconfig", kubeconfig);
            assertThat(again.code()).isEqualTo(CliFailure.USAGE);
            assertThat(again.err()).isEqualTo("poolctl: the cluster is not empty (2 PoolVolumes, 1 PoolVirtualMachine); "
                    + "restore into an empty one, or add --force to write the backup's objects over what is there\n");
            PoolctlRun forced = poolctl("restore", file.toString(), "--kubeconfig", kubeconfig, "--force");
            assertThat(forced.code()).as(forced.err()).isZero();
            assertThat(objects(target)).isEqualTo(before);

            PoolctlRun wrongMode = poolctl("restore", file.toString(), "--data-dir", dir.resolve("standalone").toString());
            assertThat(wrongMode.code()).isEqualTo(CliFailure.USAGE);
            assertThat(wrongMode.err()).contains("is a kubernetes backup; restore it with poolctl restore FILE --kubeconfig FILE");
        }
    }

    private static void populate(TestCluster c) {
        c.client.configMaps().inNamespace(Names.NAMESPACE).resource(new ConfigMapBuilder().withNewMetadata()
                .withName(Names.CONFIG_MAP).withNamespace(Names.NAMESPACE).endMetadata()
                .addToData(Names.CONFIG_KEY, "pools:\n  - name: k8s\n    share: 2T\n  - name: vm\n").build()).create();
        StoragePool pool = new StoragePool();
        pool.getMetadata().setName("k8s");
        pool.setSpec(new StoragePool.Spec());
        pool.getSpec().label = "k8s";
        pool.getSpec().share = "2T";
        pool = c.client.resources(StoragePool.class).resource(pool).create();
        pool.setStatus(new StoragePool.Status());
        pool.getStatus().servers = 2;
        c.client.resources(StoragePool.class).resource(pool).updateStatus();
        for (String[] v : new String[][] {{"pvc-1111", "k8s", "k8s-1", "shop/data"}, {"vm-abc", "vm", "vm-1", "vm-abc"}}) {
            PoolVolume pv = new PoolVolume();
            pv.getMetadata().setName(v[0]);
            pv.getMetadata().setLabels(Map.of("dynamicpools.io/pool", v[1]));
            pv.setSpec(new PoolVolume.Spec());
            pv.getSpec().name = v[0];
            pv.getSpec().pool = v[1];
            pv.getSpec().node = v[2];
            pv.getSpec().sizeBytes = 100_000_000_000L;
            pv.getSpec().owner = v[3];
            pv.getSpec().kind = v[1].equals("k8s") ? "pvc" : "vm-disk";
            pv = c.client.resources(PoolVolume.class).resource(pv).create();
            pv.setStatus(new PoolVolume.Status());
            pv.getStatus().phase = "Ready";
            pv.getStatus().measuredBytes = 4096L;
            c.client.resources(PoolVolume.class).resource(pv).updateStatus();
        }
        c.client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build()).create();
        PoolVirtualMachine vm = new PoolVirtualMachine();
        vm.getMetadata().setName("web");
        vm.getMetadata().setNamespace("shop");
        vm.setSpec(new PoolVirtualMachine.Spec());
        vm.getSpec().id = "vm-abc";
        vm.getSpec().image = "ubuntu22";
        vm.getSpec().cpu = 2;
        vm.getSpec().memoryGb = 4;
        vm.getSpec().diskVolume = "vm-abc";
        vm = c.client.resources(PoolVirtualMachine.class).inNamespace("shop").resource(vm).create();
        vm.setStatus(new PoolVirtualMachine.Status());
        vm.getStatus().status = "stopped";
        vm.getStatus().node = "vm-1";
        c.client.resources(PoolVirtualMachine.class).inNamespace("shop").resource(vm).updateStatus();
    }

    /** Each object's identity, labels, spec and status: what a restore must give back. */
    private static Map<String, JsonNode> objects(TestCluster c) {
        Map<String, JsonNode> out = new TreeMap<>();
        List<HasMetadata> all = new java.util.ArrayList<>();
        all.addAll(c.client.resources(StoragePool.class).list().getItems());
        all.addAll(c.client.resources(PoolVolume.class).list().getItems());
        all.addAll(c.client.resources(PoolVirtualMachine.class).inAnyNamespace().list().getItems());
        for (HasMetadata o : all) {
            ObjectNode n = JSON.valueToTree(o);
            ObjectNode kept = JSON.createObjectNode();
            kept.set("labels", n.at("/metadata/labels"));
            kept.set("spec", n.get("spec"));
            kept.set("status", n.get("status"));
            out.put(o.getKind() + "/" + (o.getMetadata().getNamespace() == null ? "" : o.getMetadata().getNamespace() + "/")
                    + o.getMetadata().getName(), kept);
        }
        return out;
    }
}
