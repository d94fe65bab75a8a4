package dsp.kubernetes;

import static dsp.kubernetes.ScalingControllerTest.FAST;
import static dsp.kubernetes.ScalingControllerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import dsp.kubernetes.controller.ControllerRuntime;
import dsp.testing.RequiredTool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guide's own commands, run with the real kubectl against the test API server. */
class KubectlEndToEndTest {

    private Path kubectl;

    @TempDir
    Path dir;

    private Path kubeconfig;

    private String kubectl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl " + String.join(" ", args) + "\n" + out).isZero();
        return out;
    }

    /** The guide's check: kubectl get configmap ... -o yaml | grep -A 5 "pool-status". */
    private String poolStatusLines() throws Exception {
        String yaml = kubectl("get", "configmap", "dynamic-storage-config", "-n", "dynamic-storage-pools", "-o", "yaml");
        List<String> lines = yaml.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("pool-status")) {
                return String.join("\n", lines.subList(i, Math.min(lines.size(), i + 6)));
            }
        }
        return "";
    }

    /** Waits until the guide's grep of the ConfigMap shows every fragment; on time-out says what it showed last. */
    private void awaitStatus(String... fragments) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(poolStatusLines()).as("pool-status").contains(fragments));
    }

    @Test
    void theGuidesKubectlCommandsMoveCapacity() throws Exception {
        kubectl = RequiredTool.KUBECTL.require();
        try (TestCluster cluster = new TestCluster()) {
            kubeconfig = cluster.kubeconfig(dir);
            for (String n : List.of("server-1", "server-2", "server-3", "server-4", "new-k8s-server")) {
                cluster.addNode(n, null);
            }
            try (RunningRoles controller = RunningRoles.start(cluster, Set.of(ControllerRuntime.Role.SCALING), FAST)) {
                // "Adding Servers to Pools": current status 2 K8s servers, 2 VM servers
                kubectl("label", "node", "server-1", "pool=k8s");
                kubectl("label", "node", "server-2", "pool=k8s");
                kubectl("label", "node", "server-3", "pool=vm");
                kubectl("label", "node", "server-4", "pool=vm");
                awaitStatus("\"k8s_pool\":{\"servers\":2,\"total_capacity_gb\":3000", "\"vm_pool\":{\"servers\":2,\"total_capacity_gb\":3000");

                // Example 1: add 1 server to the K8s pool -> 4.5TB
                kubectl("label", "node", "new-k8s-server", "pool=k8s");
                awaitStatus("\"k8s_pool\":{\"servers\":3,\"total_capacity_gb\":4500", "\"vm_pool\":{\"servers\":2,\"total_capacity_gb\":3000");
                assertThat(kubectl("get", "nodes", "-l", "pool=k8s", "--no-headers").lines().count()).isEqualTo(3);
                assertThat(kubectl("get", "nodes", "-l", "pool=vm", "--no-headers").lines().count()).isEqualTo(2);

                // Example 2: remove it again -> 3TB
                kubectl("label", "node", "new-k8s-server", "pool-");
                awaitStatus("\"k8s_pool\":{\"servers\":2,\"total_capacity_gb\":3000", "\"vm_pool\":{\"servers\":2,\"total_capacity_gb\":3000");

                // Example 3 as the guide writes it is refused by kubectl itself (README says so); --overwrite moves server-1
                List<String> asWritten = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeconfig.toString(),
                        "label", "node", "server-1", "pool=vm"));
                Process refused = new ProcessBuilder(asWritten).redirectErrorStream(true).start();
                String why = new String(refused.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(refused.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(refused.exitValue()).isNotZero();
                assertThat(why).contains("'pool' already has a value (k8s), and --overwrite is false");
                kubectl("label", "node", "server-1", "pool=vm", "--overwrite");
                awaitStatus("\"k8s_pool\":{\"servers\":1,\"total_capacity_gb\":1500", "\"vm_pool\":{\"servers\":3,\"total_capacity_gb\":4500",
                        "\"system_reserve\":{\"total_servers\":4,\"total_capacity_gb\":1200");

                String pools = kubectl("get", "storagepools");
                assertThat(pools).contains("k8s").contains("vm");
                await(() -> {
                    try {
                        return kubectl("get", "storagepool", "vm", "-o", "jsonpath={.status.capacityGb}").contains("4500");
                    } catch (Exception e) {
                        return false;
                    }
                });
            }
        }
    }
}
