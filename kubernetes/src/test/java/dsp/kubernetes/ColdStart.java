package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.crd.NodeDiskReport;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * A controller cold start at fleet scale, measured as deploy/ runs it: the test API server
 * (fabric8 mock, strict) in this JVM already holds the Nodes and the Ready PoolVolumes; the two
 * controller workloads (pool-scaling-controller and k8s-pool-provisioner) start as their own
 * processes, each with its ServiceAccount's kubeconfig and the launcher's JVM settings, so their
 * heap and CPU are theirs alone and the API server's store is not counted in them.
 *
 * <p>Ends when the ConfigMap's pool-status shows every server and every allocated byte and both
 * processes have started (informers listed and indexed). Checks those figures; measures the time
 * from launch and each process's live heap after a full GC ({@code jcmd GC.class_histogram}).
 */
public final class ColdStart {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SIZE = 10_000_000_000L;
    private static final Pattern STARTED = Pattern.compile("controller \\S+ started with roles");
    /** How long a request to the busy test API server may take. */
    private static final Duration PATIENCE = Duration.ofMinutes(5);
    private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)\\s*$");

    /** One process's figures: when it said it had started, and its live heap after a full GC. */
    public record Process(String workload, long nanosToStarted, long liveHeapBytes, String histogramHead) {
    }

    /** What one cold start measured. */
    public record Result(int nodes, int volumes, long nanosToStatus, long floorNanos, List<Process> processes) {
        public Process process(String workload) {
            return processes.stream().filter(p -> p.workload.equals(workload)).findFirst().orElseThrow();
        }
    }

    private ColdStart() {
    }

    /**
     * @param launcher   the command that runs poolctl (e.g. {@code ../bin/poolctl}, or java with a classpath and
     *                   {@code dsp.cli.Poolctl}); {@code controller --roles ...} is appended
     * @param env        more environment for the controller processes, e.g. POOLCTL_JAVA_OPTS with a flight recording
     */
    public static Result run(int nodes, int volumes, List<String> launcher, Map<String, String> env, Path dir) throws Exception {
        try (TestCluster cluster = new TestCluster();
             // a cluster-admin that waits as long as the controllers do
             KubernetesClient patient = new KubernetesClientBuilder().withConfig(new ConfigBuilder(cluster.client.getConfiguration())
                     .withRequestTimeout((int) PATIENCE.toMillis()).build()).build()) {
            cluster.preload("/api/v1/nodes", IntStream.range(0, nodes).mapToObj(ColdStart::node));
            cluster.preload("/apis/dynamicpools.io/v1alpha1/poolvolumes", IntStream.range(0, volumes).mapToObj(i -> volume(i, nodes)));
            long k8sVolumes = IntStream.range(0, volumes).filter(i -> (i % nodes) % 2 == 0).count();
            long expectK8sGb = k8sVolumes * SIZE / 1_000_000_000L;
            long expectVmGb = (volumes - k8sVolumes) * SIZE / 1_000_000_000L;
            int k8sServers = (nodes + 1) / 2;
            long floor = floor(patient, nodes, volumes);
            System.gc(); // the floor's garbage is the API server's, not the controllers' to wait for
            List<java.lang.Process> started = new ArrayList<>();
            try {
                long start = System.nanoTime();
                java.lang.Process scaling = launch(launcher, env, dir, cluster, TestCluster.Workload.SCALING, "scaling");
                started.add(scaling);
                java.lang.Process provisioner = launch(launcher, env, dir, cluster, TestCluster.Workload.PROVISIONER, "provisioner");
                started.add(provisioner);
                Map<String, java.lang.Process> byWorkload = Map.of("pool-scaling-controller", scaling, "k8s-pool-provisioner", provisioner);
                Map<String, Long> startedAt = new java.util.concurrent.ConcurrentHashMap<>();
                long[] correctAt = {0};
                await().atMost(Duration.ofMinutes(15)).pollInterval(Duration.ofMillis(100)).until(() -> {
                    long now = System.nanoTime();
                    byWorkload.forEach((w, p) -> {
                        if (!p.isAlive()) {
                            throw new AssertionError(w + " exited with " + p.exitValue() + ":\n" + tail(log(dir, w)));
                        }
                        if (!startedAt.containsKey(w) && STARTED.matcher(read(log(dir, w))).find()) {
                            startedAt.put(w, now);
                        }
                    });
                    if (correctAt[0] == 0 && statusIsRight(patient, k8sServers, nodes - k8sServers, expectK8sGb, expectVmGb)) {
                        correctAt[0] = now;
                    }
                    return correctAt[0] != 0 && startedAt.size() == byWorkload.size();
                });
                List<Process> figures = new ArrayList<>();
                for (Map.Entry<String, java.lang.Process> e : new java.util.TreeMap<>(byWorkload).entrySet()) {
                    String histogram = liveHistogram(e.getValue().pid());
                    Matcher total = HISTOGRAM_TOTAL.matcher(histogram);
                    assertThat(total.find()).as("jcmd GC.class_histogram of " + e.getKey() + " has a Total line:\n" + histogram).isTrue();
                    figures.add(new Process(e.getKey(), startedAt.get(e.getKey()) - start, Long.parseLong(total.group(2)),
                            histogram.lines().limit(18).reduce("", (a, b) -> a + b + "\n")));
                }
                return new Result(nodes, volumes, correctAt[0] - start, floor, figures);
            } finally {
                for (java.lang.Process p : started) {
                    p.destroy();
                    if (!p.waitFor(30, TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                    }
                }
            }
        }
    }

    /**
     * The floor, measured on the same cluster just before: what any controller must at least do at start, one
     * client listing every Node and every PoolVolume in pages of 500, nothing else.
     */
    private static long floor(KubernetesClient client, int nodes, int volumes) {
        long start = System.nanoTime();
        assertThat(listInPages(client.nodes())).isEqualTo(nodes);
        assertThat(listInPages(client.resources(PoolVolume.class))).isEqualTo(volumes);
        return System.nanoTime() - start;
    }

    private static int listInPages(io.fabric8.kubernetes.client.dsl.Listable<? extends io.fabric8.kubernetes.api.model.KubernetesResourceList<?>> what) {
        int count = 0;
        String next = null;
        do {
            var page = what.list(new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withLimit(500L).withContinue(next).build());
            count += page.getItems().size();
            next = page.getMetadata().getContinue();
        } while (next != null && !next.isEmpty());
        return count;
    }

    private static java.lang.Process launch(List<String> launcher, Map<String, String> env, Path dir, TestCluster cluster,
                                            TestCluster.Workload workload, String roles) throws IOException {
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of("controller", "--roles", roles, "--port", "0", "--host", "127.0.0.1"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log(dir, workload.serviceAccount).toFile());
        // the kubeconfig as $KUBECONFIG (not --kubeconfig), so that the client also takes its request timeout from the
        // environment: the test API server answers one request at a time and the first page of a list of 200,000 objects
        // (a snapshot of them all) keeps it busy for longer than the default 10 s; a real API server pages from its store
        pb.environment().put("KUBECONFIG", cluster.kubeconfig(dir, workload).toString());
        pb.environment().put("KUBERNETES_REQUEST_TIMEOUT", Long.toString(PATIENCE.toMillis()));
        pb.environment().putAll(env);
        return pb.start();
    }

    private static Path log(Path dir, String workload) {
        return dir.resolve(workload + ".log");
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(Path file) {
        List<String> lines = read(file).lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    private static boolean statusIsRight(KubernetesClient client, int k8sServers, int vmServers, long k8sGb, long vmGb) throws IOException {
        ConfigMap cm = client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get();
        String text = cm == null || cm.getData() == null ? null : cm.getData().get(Names.POOL_STATUS_KEY);
        if (text == null) {
            return false;
        }
        JsonNode tree = JSON.readTree(text);
        return tree.at("/k8s_pool/servers").asInt() == k8sServers && tree.at("/vm_pool/servers").asInt() == vmServers
                && tree.at("/k8s_pool/used_capacity_gb").asLong() == k8sGb && tree.at("/vm_pool/used_capacity_gb").asLong() == vmGb;
    }

    /** The live objects of a process after the full GC that {@code jcmd GC.class_histogram} makes (the second of two, to settle). */
    private static String liveHistogram(long pid) throws Exception {
        jcmd(pid, "GC.class_histogram");
        return jcmd(pid, "GC.class_histogram");
    }

    private static String jcmd(long pid, String command) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        java.lang.Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("jcmd " + command + ": " + out).isZero();
        return out;
    }

    private static PoolVolume volume(int i, int nodes) {
        int node = i % nodes;
        String pool = node % 2 == 0 ? "k8s" : "vm";
        String name = "volume-" + i;
        PoolVolume v = PoolVolumeStore.toObject(new Allocation(name, name, pool, "node-" + node, SIZE, "volume",
                Instant.now(), VolumeFormat.DIRECTORY, Optional.empty(), Optional.empty(), VolumePhase.READY));
        v.setStatus(new PoolVolume.Status());
        v.getStatus().phase = "Ready";
        v.getStatus().path = "/" + pool + "-storage-pool/" + name;
        v.getStatus().measuredBytes = 4096L;
        v.getStatus().presentedBytes = SIZE;
        return v;
    }

    private static Node node(int i) {
        String name = "node-" + i;
        String report;
        try {
            report = JSON.writeValueAsString(new NodeDiskReport(Map.of(i % 2 == 0 ? "k8s" : "vm", 163_840L), 20_000_000_000L,
                    1_800_000_000_000L, 1_700_000_000_000L, List.of(), Instant.now().toString()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return new NodeBuilder().withNewMetadata().withName(name).addToLabels(Names.HOSTNAME_LABEL, name)
                .addToLabels(Names.POOL_LABEL, i % 2 == 0 ? "k8s" : "vm").addToAnnotations(Names.DISK_REPORT_ANNOTATION, report)
                .endMetadata().build();
    }
}
