package dsp.kubernetes;

import static dsp.kubernetes.ScalingControllerTest.FAST;
import static org.assertj.core.api.Assertions.assertThat;

import dsp.kubernetes.controller.ControllerRuntime;
import dsp.testing.RequiredTool;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guide's deploy and test scripts, run with the real kubectl against an empty test cluster. */
class ManifestsTest {

    @TempDir
    Path dir;

    private Path kubectl;

    private record Run(int code, String out) {
    }

    private Run script(String name, Path kubeconfig, String... env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", Path.of("..", "scripts", name).toString()).redirectErrorStream(true);
        pb.environment().put("KUBECTL", kubectl + " --kubeconfig " + kubeconfig);
        for (int i = 0; i < env.length; i += 2) {
            pb.environment().put(env[i], env[i + 1]);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void deployScriptCreatesWhatTheGuideNamesAndTheTestScriptPasses() throws Exception {
        kubectl = RequiredTool.KUBECTL.require();
        try (TestCluster cluster = new TestCluster(false)) {
            for (String n : List.of("node-a", "node-b", "node-c", "node-d")) {
                cluster.addNode(n, null);
            }
            Path kubeconfig = cluster.kubeconfig(dir);
            Run deploy = script("deploy-dynamic-storage-pools.sh", kubeconfig, "VERIFY", "0", "APPLY_FLAGS", "--validate=false");
            assertThat(deploy.code()).as(deploy.out()).isZero();
            assertThat(cluster.client.nodes().withLabel("pool", "k8s").list().getItems()).hasSize(2);
            assertThat(cluster.client.nodes().withLabel("pool", "vm").list().getItems()).hasSize(2);

            String ns = Names.NAMESPACE;
            StorageClass k8s = cluster.client.storage().v1().storageClasses().withName("k8s-pool-storage").get();
            assertThat(k8s.getProvisioner()).isEqualTo(Names.PROVISIONER);
            assertThat(k8s.getReclaimPolicy()).isEqualTo("Delete");
            assertThat(k8s.getVolumeBindingMode()).isEqualTo("WaitForFirstConsumer");
            assertThat(k8s.getMetadata().getAnnotations()).containsEntry("storageclass.kubernetes.io/is-default-class", "true");
            StorageClass vm = cluster.client.storage().v1().storageClasses().withName("vm-pool-storage").get();
            assertThat(vm.getReclaimPolicy()).isEqualTo("Retain");
            for (String d : List.of("k8s-pool-provisioner", "pool-scaling-controller", "dynamic-pool-monitor")) {
                Deployment dep = cluster.client.apps().deployments().inNamespace(ns).withName(d).get();
                assertThat(dep).as(d).isNotNull();
                assertThat(dep.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("app", d);
            }
            // ready only on the Lease holder: a rolling update could never finish, so the provisioner recreates
            assertThat(cluster.client.apps().deployments().inNamespace(ns).withName("k8s-pool-provisioner").get()
                    .getSpec().getStrategy().getType()).isEqualTo("Recreate");
            for (String d : List.of("vm-pool-storage-manager", "k8s-pool-storage-manager")) {
                DaemonSet ds = cluster.client.apps().daemonSets().inNamespace(ns).withName(d).get();
                assertThat(ds).as(d).isNotNull();
            }
            var cleanup = cluster.client.batch().v1().cronjobs().inNamespace(ns).withName("pool-cleanup").get();
            assertThat(cleanup.getSpec().getSchedule()).isEqualTo("0 2 * * *");
            Service api = cluster.client.services().inNamespace(ns).withName("vm-pool-api").get();
            assertThat(api.getSpec().getPorts().get(0).getPort()).isEqualTo(8080);
            ConfigMap cm = cluster.client.configMaps().inNamespace(ns).withName(Names.CONFIG_MAP).get();
            assertThat(cm.getData()).containsKey(Names.CONFIG_KEY); // that it reads as the guide's pools: cli's DeployConfigMapTest

            // with the controller on the guide's pools, the guide's test script passes
            try (RunningRoles controller = RunningRoles.start(cluster, Set.of(ControllerRuntime.Role.SCALING), FAST)) {
                Run test = script("test-dynamic-storage-pools.sh", kubeconfig, "SKIP_PODS", "1");
                assertThat(test.code()).as(test.out()).isZero();
                assertThat(test.out()).contains("PASS  k8s_pool: 2 x 1.5TB = 3000 GB").contains("all checks passed");
            }
        }
    }
}
