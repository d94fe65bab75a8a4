package dsp.cli;

import dsp.cli.client.CliFailure;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.kubernetes.Names;
import dsp.kubernetes.TestCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `poolctl controller` and `poolctl agent` as separate processes against the test API server, outside any cluster. */
class KubernetesDaemonsTest {

    @TempDir
    Path dir;

    private Process poolctl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dsp.cli.Poolctl"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(args[0] + ".log").toFile()).start();
    }

    private static void await(BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (c.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("condition not met within 60 s");
    }

    @Test
    void controllerAndAgentRunFromAKubeconfig() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            cluster.addNode("k8s-1", "k8s");
            cluster.addNode("vm-1", "vm");
            // the configuration comes from the ConfigMap: a 2 TB share for the k8s pool
            cluster.client.configMaps().inNamespace(Names.NAMESPACE).resource(new ConfigMapBuilder().withNewMetadata()
                    .withName(Names.CONFIG_MAP).withNamespace(Names.NAMESPACE).endMetadata()
                    .addToData(Names.CONFIG_KEY, "pools:\n  - name: k8s\n    share: 2T\n  - name: vm\n").build()).create();
            Path kubeconfig = cluster.kubeconfig(dir);
            Path root = dir.resolve("vm-1-root");
            Files.createDirectories(root);
            Process controller = poolctl("controller", "--kubeconfig", kubeconfig.toString(), "--roles", "scaling,provisioner,api",
                    "--host", "127.0.0.1", "--port", "0");
            Process agent = poolctl("agent", "--kubeconfig", kubeconfig.toString(), "--node", "vm-1", "--root", root.toString(),
                    "--report-every", "1");
            try {
                ObjectMapper json = new ObjectMapper();
                await(() -> {
                    ConfigMap cm = cluster.client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get();
                    String s = cm.getData().get(Names.POOL_STATUS_KEY);
                    try {
                        return s != null && json.readTree(s).at("/k8s_pool/total_capacity_gb").asInt() == 2000;
                    } catch (Exception e) {
                        return false;
                    }
                });
                assertThat(root.resolve("vm-storage-pool")).isDirectory();
                assertThat(root.resolve("k8s-storage-pool")).isDirectory();
                await(() -> {
                    Node n = cluster.client.nodes().withName("vm-1").get();
                    return n.getMetadata().getAnnotations() != null && n.getMetadata().getAnnotations().containsKey(Names.DISK_REPORT_ANNOTATION);
                });
                assertThat(controller.isAlive()).isTrue();
                assertThat(agent.isAlive()).isTrue();
            } finally {
                controller.destroy();
                agent.destroy();
                controller.waitFor(10, TimeUnit.SECONDS);
                agent.waitFor(10, TimeUnit.SECONDS);
                // the daemons' own logs, for whoever reads a failure
                System.out.println(Files.readString(dir.resolve("controller.log")));
                System.out.println(Files.readString(dir.resolve("agent.log")));
            }
        }
    }

    @Test
    void badDaemonOptionsAreOneLineErrors() throws Exception {
        Process p = poolctl("agent", "--kubeconfig", dir.resolve("missing").toString(), "--node", "n1", "--root", dir.toString());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(CliFailure.USAGE);
        assertThat(Files.readString(dir.resolve("agent.log"))).contains("cannot read --kubeconfig").doesNotContain("\tat ");
        Process q = poolctl("controller", "--roles", "nonsense", "--kubeconfig", dir.resolve("missing").toString());
        assertThat(q.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(q.exitValue()).isEqualTo(CliFailure.USAGE);
        assertThat(Files.readString(dir.resolve("controller.log"))).contains("role 'nonsense' is unknown");
    }
}
