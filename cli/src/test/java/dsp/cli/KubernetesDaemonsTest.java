package dsp.cli;

import dsp.cli.client.CliFailure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.kubernetes.Names;
import dsp.kubernetes.TestCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Node;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * `poolctl controller` and `poolctl agent` as separate processes against the test API server,
 * outside any cluster, with what the image adds around them: the agents' probes, the guide's
 * monitor-pools.sh, and the pool-cleanup job's command.
 */
class KubernetesDaemonsTest {

    // four JVMs start side by side on a loaded 2-core machine: generous
    private static final Duration WAIT = Duration.ofMinutes(2);
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private Process poolctl(String log, String... args) throws Exception {
        return poolctl(log, Map.of(), List.of(args));
    }

    private Process poolctl(String log, Map<String, String> env, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dsp.cli.Poolctl"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(log + ".log").toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** A workload's container as deploy/ declares it: the arguments it runs with and the paths its probes ask. */
    record Deployed(String workload, List<String> args, Map<String, String> probes) {

        static Deployed container(String file, String workload) throws Exception {
            ObjectMapper yaml = new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
            try (var parser = new com.fasterxml.jackson.dataformat.yaml.YAMLFactory().createParser(Path.of("..", "deploy", file).toFile())) {
                for (var it = yaml.readValues(parser, com.fasterxml.jackson.databind.JsonNode.class); it.hasNext(); ) {
                    var o = it.next();
                    if (o.at("/metadata/name").asText().equals(workload) && o.at("/spec/template/spec/containers").size() == 1) {
                        var c = o.at("/spec/template/spec/containers/0");
                        List<String> args = new ArrayList<>();
                        c.path("args").forEach(a -> args.add(a.asText()));
                        Map<String, String> probes = new java.util.TreeMap<>();
                        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
                            probes.put(probe, c.path(probe).path("httpGet").path("path").asText(""));
                        }
                        return new Deployed(workload, args, probes);
                    }
                }
            }
            throw new AssertionError(file + " has no workload " + workload + " with one container");
        }

        /** The arguments with some options' values replaced (ports, the node root) and more options after them. */
        List<String> args(Map<String, String> replaced, String... more) {
            List<String> out = new ArrayList<>(args);
            replaced.forEach((option, value) -> {
                int i = out.indexOf(option);
                assertThat(i).as(workload + " runs with " + option).isNotNegative();
                out.set(i + 1, value);
            });
            out.addAll(List.of(more));
            return out;
        }

        /** Every probe of deploy/ asks a path this process serves, and each answers 200 (liveness: alive; readiness: ready). */
        void probesAnswer(String base, java.util.function.ToIntFunction<String> status) {
            probes.forEach((probe, path) -> {
                assertThat(path).as(workload + " " + probe).startsWith("/");
                await().atMost(WAIT).until(() -> status.applyAsInt(base + path) == 200);
            });
        }
    }

    private int logged(String log, String pattern) {
        Pattern p = Pattern.compile(pattern);
        return await().atMost(WAIT).until(() -> {
            Matcher m = p.matcher(Files.readString(dir.resolve(log + ".log")));
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        }, port -> port > 0);
    }

    private int status(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }


    /** A client command in this JVM, as the cleanup job's container runs it. */
    private static PoolctlRun cli(String... args) {
        return PoolctlRun.of(args);
    }

    /** Runs a script with the image's `poolctl` on the PATH (here: this build's classes instead of the jar). */
    private PoolctlRun script(Path script, Map<String, String> env) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path shim = bin.resolve("poolctl");
        Files.writeString(shim, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java") + "' -cp '"
                + System.getProperty("java.class.path") + "' dsp.cli.Poolctl \"$@\"\n");
        shim.toFile().setExecutable(true);
        ProcessBuilder pb = new ProcessBuilder("sh", script.toString());
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new PoolctlRun(p.exitValue(), out, err);
    }

    @Test
    void controllerAndAgentsAsProcessesWithProbesMonitorScriptAndCleanupJob() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            cluster.addNode("k8s-1", "k8s");
            cluster.addNode("vm-1", "vm");
            cluster.addNode("gone-1", "k8s"); // its agent is down: it never answers
            // the configuration comes from the ConfigMap: a 2 TB share for the k8s pool
            cluster.client.configMaps().inNamespace(Names.NAMESPACE).resource(new ConfigMapBuilder().withNewMetadata()
                    .withName(Names.CONFIG_MAP).withNamespace(Names.NAMESPACE).endMetadata()
                    .addToData(Names.CONFIG_KEY, "pools:\n  - name: k8s\n    share: 2T\n  - name: vm\n").build()).create();
            List<Process> daemons = new ArrayList<>();
            try {
                // each workload with deploy/'s own arguments and its own ServiceAccount; ports are ephemeral here
                // (dynamic-pool-monitor's probes ask the same /healthz and /readyz of the API as k8s-pool-provisioner's;
                // a fifth JVM made the start-up too slow for this loaded 2-core machine)
                Deployed provisioner = Deployed.container("40-controllers.yaml", "k8s-pool-provisioner");
                Deployed scaling = Deployed.container("40-controllers.yaml", "pool-scaling-controller");
                daemons.add(poolctl("controller", Map.of(), provisioner.args(Map.of("--port", "0"), "--kubeconfig",
                        cluster.kubeconfig(dir, TestCluster.Workload.PROVISIONER).toString(), "--host", "127.0.0.1")));
                daemons.add(poolctl("scaling", Map.of(), scaling.args(Map.of("--port", "0"), "--kubeconfig",
                        cluster.kubeconfig(dir, TestCluster.Workload.SCALING).toString(), "--host", "127.0.0.1")));
                Path kubeconfig = cluster.kubeconfig(dir, TestCluster.Workload.AGENT);
                Map<String, Deployed> agents = Map.of("k8s-1", Deployed.container("50-agents.yaml", "k8s-pool-storage-manager"),
                        "vm-1", Deployed.container("50-agents.yaml", "vm-pool-storage-manager"));
                for (Map.Entry<String, Deployed> a : agents.entrySet()) {
                    String node = a.getKey();
                    Files.createDirectories(dir.resolve(node));
                    daemons.add(poolctl("agent-" + node, Map.of("NODE_NAME", node, "POD_IP", "127.0.0.1"), a.getValue().args(Map.of("--root",
                            dir.resolve(node).toString(), "--health-port", "0", "--peer-port", "0"), "--kubeconfig", kubeconfig.toString(),
                            "--report-every", "1")));
                }
                ObjectMapper json = new ObjectMapper();
                await().atMost(WAIT).until(() -> {
                    ConfigMap cm = cluster.client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get();
                    String s = cm.getData().get(Names.POOL_STATUS_KEY);
                    return s != null && json.readTree(s).at("/k8s_pool/total_capacity_gb").asInt() == 4000;
                });
                // each agent on its own schedule: one may report (and make its pool directory) well after the other
                for (String node : agents.keySet()) {
                    await().atMost(WAIT).until(() -> {
                        Node n = cluster.client.nodes().withName(node).get();
                        return n.getMetadata().getAnnotations() != null && n.getMetadata().getAnnotations().containsKey(Names.DISK_REPORT_ANNOTATION);
                    });
                }
                await().atMost(WAIT).untilAsserted(() -> {
                    assertThat(dir.resolve("vm-1/vm-storage-pool")).isDirectory();
                    assertThat(dir.resolve("k8s-1/k8s-storage-pool")).isDirectory();
                });
                // where the other agents fetch a volume a drain moves away: $POD_IP and the peer port deploy/ passes
                await().atMost(WAIT).until(() -> cluster.client.nodes().withName("vm-1").get().getMetadata().getAnnotations()
                        .get(Names.DISK_REPORT_ANNOTATION).contains("\"peerAddress\":\"http://127.0.0.1:"));

                // the kubelet's probes, as deploy/ declares them, answered by every workload
                String api = "http://127.0.0.1:" + logged("controller", "API listening on 127.0.0.1:(\\d+)");
                provisioner.probesAnswer(api, this::status);
                scaling.probesAnswer("http://127.0.0.1:" + logged("scaling", "/healthz and /readyz on 127.0.0.1:(\\d+)"), this::status);
                for (Map.Entry<String, Deployed> a : agents.entrySet()) {
                    a.getValue().probesAnswer("http://127.0.0.1:" + logged("agent-" + a.getKey(), "/healthz and /readyz on port (\\d+)"), this::status);
                }

                // kubectl exec deployment/k8s-pool-provisioner -- /k8s-storage-pool/monitor-pools.sh: the whole table, from the API
                PoolctlRun monitor = script(Path.of("..", "deploy", "image", "monitor-pools.sh"), Map.of("POOLCTL_SERVER", api));
                assertThat(monitor.code()).as(monitor.err()).isZero();
                assertThat(monitor.out()).containsPattern("k8s_pool\\s+2\\s+4000 GB").containsPattern("vm_pool\\s+1\\s+1500 GB")
                        .containsPattern("system_reserve\\s+3\\s+900 GB");

                // the pool-cleanup job: waits for every node, says what each moved, fails when one did not answer
                Path junk = Files.createDirectories(dir.resolve("k8s-1/k8s-storage-pool/forgotten"));
                Files.writeString(junk.resolve("app.log"), "old log");
                // the job's projected ServiceAccount token: pool-cleanup may create cleanups, nothing else
                Path token = Files.writeString(dir.resolve("token"), cluster.token(TestCluster.Workload.CLEANUP.serviceAccount));
                PoolctlRun partial = cli("cleanup", "--server", api, "--token-file", token.toString(), "--wait", "5");
                assertThat(partial.code()).as(partial.out() + partial.err()).isEqualTo(CliFailure.REFUSED);
                assertThat(partial.out()).contains("k8s-1: moved 1 entry").contains("vm-1: nothing moved").contains("gone-1: no answer")
                        .contains("forgotten");
                assertThat(partial.err()).contains("gone-1 did not answer within 5 s").doesNotContain("k8s-1 did not");
                assertThat(junk).doesNotExist();

                cluster.client.nodes().withName("gone-1").delete(); // kubectl delete node gone-1
                PoolctlRun full = cli("cleanup", "--server", api, "--token-file", token.toString(), "--wait", "60");
                assertThat(full.code()).as(full.out() + full.err()).isZero();
                assertThat(full.out()).contains("k8s-1: nothing moved").contains("vm-1: nothing moved").doesNotContain("gone-1");

                for (Process p : daemons) {
                    assertThat(p.isAlive()).isTrue();
                }
            } finally {
                for (Process p : daemons) {
                    p.destroy();
                }
                for (Process p : daemons) {
                    p.waitFor(10, TimeUnit.SECONDS);
                }
                // the daemons' own logs, for whoever reads a failure
                try (var logs = Files.list(dir)) {
                    for (Path log : logs.filter(f -> f.toString().endsWith(".log")).toList()) {
                        System.out.println("== " + log.getFileName() + "\n" + Files.readString(log));
                    }
                }
            }
        }
    }

    @Test
    void badDaemonOptionsAreOneLineErrors() throws Exception {
        Process p = poolctl("agent", "agent", "--kubeconfig", dir.resolve("missing").toString(), "--node", "n1", "--root", dir.toString());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(CliFailure.USAGE);
        assertThat(Files.readString(dir.resolve("agent.log"))).contains("cannot read --kubeconfig").doesNotContain("\tat ");
        Process q = poolctl("controller", "controller", "--roles", "nonsense", "--kubeconfig", dir.resolve("missing").toString());
        assertThat(q.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(q.exitValue()).isEqualTo(CliFailure.USAGE);
        assertThat(Files.readString(dir.resolve("controller.log"))).contains("role 'nonsense' is unknown");
        Process a = poolctl("auth", "controller", "--auth", "tokenreview", "--kubeconfig", dir.resolve("missing").toString());
        assertThat(a.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(a.exitValue()).isEqualTo(CliFailure.USAGE);
        assertThat(Files.readString(dir.resolve("auth.log"))).contains("--auth must be kubernetes or none");
        // on by default: the opt-out is explicit
        ControllerCommand defaults = new ControllerCommand();
        new CommandLine(defaults).parseArgs();
        assertThat(defaults.auth).isEqualTo("kubernetes");
        PoolctlRun r = cli("cleanup", "--wait", "-1");
        assertThat(r.code()).isEqualTo(CliFailure.USAGE);
        assertThat(r.err()).contains("--wait must be 0 or more seconds");
    }
}
