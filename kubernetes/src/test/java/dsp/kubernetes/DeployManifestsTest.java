package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dsp.testing.RequiredTool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What {@code kubectl apply -k deploy/} would apply, rendered by the real kubectl's kustomize, read
 * as the kubelet would: one image named in one place, probes on every long-running workload,
 * non-root wherever the role allows, node directories only for the agents.
 */
class DeployManifestsTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path DEPLOY = Path.of("..", "deploy");
    private static List<JsonNode> objects;

    @BeforeAll
    static void render() throws Exception {
        Path kubectl = RequiredTool.KUBECTL.require();
        Process p = new ProcessBuilder(kubectl.toString(), "kustomize", DEPLOY.toString()).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl kustomize deploy/: " + err).isZero();
        objects = new ArrayList<>();
        try (YAMLParser parser = new YAMLFactory().createParser(out)) {
            YAML.readValues(parser, JsonNode.class).forEachRemaining(objects::add);
        }
    }

    private static List<JsonNode> kind(String kind) {
        return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    }

    private static String name(JsonNode o) {
        return o.path("metadata").path("name").asText();
    }

    /** The pod template of a workload (Deployment, DaemonSet, CronJob). */
    private static JsonNode pod(JsonNode o) {
        return o.path("kind").asText().equals("CronJob") ? o.at("/spec/jobTemplate/spec/template/spec") : o.at("/spec/template/spec");
    }

    private static List<JsonNode> workloads() {
        return objects.stream().filter(o -> Set.of("Deployment", "DaemonSet", "CronJob").contains(o.path("kind").asText())).toList();
    }

    @Test
    void everyFileIsAppliedAndTheImageIsNamedOnlyInTheKustomization() throws IOException {
        JsonNode kustomization = YAML.readTree(DEPLOY.resolve("kustomization.yaml").toFile());
        Set<String> listed = new HashSet<>();
        kustomization.path("resources").forEach(r -> listed.add(r.asText()));
        Set<String> files = new HashSet<>();
        try (Stream<Path> s = Files.walk(DEPLOY)) {
            s.filter(f -> f.toString().endsWith(".yaml") && !f.getFileName().toString().equals("kustomization.yaml"))
                    .filter(f -> !DEPLOY.relativize(f).startsWith("monitoring")) // ops' ServiceMonitor and rules need the Prometheus operator's CRDs
                    .forEach(f -> files.add(DEPLOY.relativize(f).toString()));
        }
        assertThat(listed).as("kustomization.yaml lists every manifest").containsAll(files);

        JsonNode image = kustomization.path("images").get(0);
        String expected = image.path("newName").asText() + ":" + image.path("newTag").asText();
        assertThat(workloads()).hasSize(6);
        for (JsonNode w : workloads()) {
            for (JsonNode c : pod(w).path("containers")) {
                assertThat(c.path("image").asText()).as(name(w)).isEqualTo(expected);
            }
        }
        for (String f : files) {
            String text = Files.readString(DEPLOY.resolve(f));
            assertThat(text).as(f + " names the image without a tag; kustomization.yaml sets it").doesNotContain("image: dynamic-storage-pools:");
        }
    }

    @Test
    void everyLongRunningWorkloadHasProbesOnAPortItDeclares() {
        List<JsonNode> running = objects.stream().filter(o -> Set.of("Deployment", "DaemonSet").contains(o.path("kind").asText())).toList();
        assertThat(running).extracting(DeployManifestsTest::name).containsExactlyInAnyOrder("k8s-pool-provisioner", "pool-scaling-controller",
                "dynamic-pool-monitor", "vm-pool-storage-manager", "k8s-pool-storage-manager");
        for (JsonNode w : running) {
            for (JsonNode c : pod(w).path("containers")) {
                Set<String> ports = new HashSet<>();
                c.path("ports").forEach(p -> {
                    ports.add(p.path("name").asText());
                    ports.add(p.path("containerPort").asText());
                });
                for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
                    JsonNode get = c.path(probe).path("httpGet");
                    assertThat(get.isMissingNode()).as(name(w) + " " + probe).isFalse();
                    assertThat(ports).as(name(w) + " " + probe + " port").contains(get.path("port").asText());
                }
                assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/healthz");
                assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/readyz");
            }
        }
    }

    /**
     * The image runs bin/poolctl, which caps the heap per role (-Xmx); a pod limit below that heap plus
     * the JVM's own memory (metaspace, threads, buffers) would be an OOM kill at fleet scale.
     */
    @Test
    void everyLongRunningContainerHasRoomForTheHeapTheLauncherGivesItsRole() throws IOException {
        Map<String, Long> heaps = launcherHeaps(Files.readString(Path.of("..", "bin", "poolctl")));
        assertThat(heaps).containsKeys("controller", "agent", "*");
        for (JsonNode w : objects.stream().filter(o -> Set.of("Deployment", "DaemonSet").contains(o.path("kind").asText())).toList()) {
            for (JsonNode c : pod(w).path("containers")) {
                String command = c.path("args").get(0).asText();
                long heap = heaps.getOrDefault(command, heaps.get("*"));
                long limit = quantity(c.at("/resources/limits/memory").asText());
                assertThat(limit).as(name(w) + ": memory limit vs the launcher's -Xmx for '" + command + "' and half as much again")
                        .isGreaterThanOrEqualTo(heap * 3 / 2);
            }
        }
    }

    /** The -Xmx bin/poolctl gives each first argument, from its case labels (e.g. {@code standalone|restore)}). */
    static Map<String, Long> launcherHeaps(String launcher) {
        Map<String, Long> heaps = new HashMap<>();
        List<String> labels = List.of();
        Pattern label = Pattern.compile("^\\s+([\\w|*]+)\\)\\s*$");
        Pattern xmx = Pattern.compile("-Xmx(\\d+)([mMgG])");
        for (String line : launcher.lines().toList()) {
            Matcher l = label.matcher(line);
            if (l.matches()) {
                labels = List.of(l.group(1).split("\\|"));
                continue;
            }
            Matcher x = xmx.matcher(line);
            if (x.find()) {
                long bytes = Long.parseLong(x.group(1)) << (x.group(2).equalsIgnoreCase("g") ? 30 : 20);
                labels.forEach(k -> heaps.put(k, bytes));
            }
        }
        return heaps;
    }

    /** A Kubernetes memory quantity in Mi or Gi. */
    private static long quantity(String q) {
        assertThat(q).as("a memory limit in Mi or Gi").matches("\\d+(Mi|Gi)");
        long n = Long.parseLong(q.substring(0, q.length() - 2));
        return q.endsWith("Gi") ? n << 30 : n << 20;
    }

    @Test
    void onlyTheAgentsRunAsRootOrMountNodeDirectories() {
        for (JsonNode w : workloads()) {
            JsonNode pod = pod(w);
            boolean agent = w.path("kind").asText().equals("DaemonSet");
            boolean hostPath = false;
            for (JsonNode v : pod.path("volumes")) {
                hostPath |= v.has("hostPath");
            }
            assertThat(hostPath).as(name(w) + " mounts a node directory").isEqualTo(agent);
            for (JsonNode c : pod.path("containers")) {
                assertThat(c.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).as(name(w)).isFalse();
                if (agent) {
                    assertThat(c.at("/securityContext/runAsUser").asInt(-1)).as(name(w) + " owns files under hostPath").isZero();
                } else {
                    assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).as(name(w)).isTrue();
                    assertThat(pod.at("/securityContext/runAsUser").asInt(0)).as(name(w)).isPositive();
                    assertThat(c.at("/securityContext/readOnlyRootFilesystem").asBoolean()).as(name(w)).isTrue();
                    assertThat(c.at("/securityContext/capabilities/drop").toString()).as(name(w)).contains("ALL");
                }
            }
        }
    }

    @Test
    void theCleanupJobCallsTheApiWithAProjectedServiceAccountTokenAndWaitsForEveryNode() {
        JsonNode job = kind("CronJob").get(0);
        JsonNode pod = pod(job);
        assertThat(pod.path("automountServiceAccountToken").asBoolean(true)).isFalse();
        JsonNode token = null;
        for (JsonNode v : pod.path("volumes")) {
            for (JsonNode s : v.at("/projected/sources")) {
                if (s.has("serviceAccountToken")) {
                    token = v;
                }
            }
        }
        assertThat(token).as("a projected serviceAccountToken volume").isNotNull();
        JsonNode c = pod.path("containers").get(0);
        String mount = null;
        for (JsonNode m : c.path("volumeMounts")) {
            if (m.path("name").asText().equals(token.path("name").asText())) {
                mount = m.path("mountPath").asText();
            }
        }
        String path = token.at("/projected/sources/0/serviceAccountToken/path").asText();
        List<String> args = new ArrayList<>();
        c.path("args").forEach(a -> args.add(a.asText()));
        assertThat(args).containsSequence("--token-file", mount + "/" + path).contains("--wait");
        assertThat(args.get(0)).isEqualTo("cleanup");
        assertThat(job.at("/spec/jobTemplate/spec/activeDeadlineSeconds").asInt()).isGreaterThan(Integer.parseInt(args.get(args.indexOf("--wait") + 1)));
        assertThat(((ArrayNode) pod.path("containers")).size()).isEqualTo(1);
    }

    @Test
    void everyAgentShowsItsPeersATokenOfTheirOwnAudienceWhereItReadsIt() {
        for (JsonNode w : kind("DaemonSet")) {
            JsonNode pod = pod(w);
            String volume = null;
            for (JsonNode v : pod.path("volumes")) {
                for (JsonNode s : v.at("/projected/sources")) {
                    if (s.at("/serviceAccountToken/audience").asText().equals(Names.PEER_AUDIENCE)) {
                        volume = v.path("name").asText();
                        assertThat(Path.of("/").resolve(s.at("/serviceAccountToken/path").asText()).getFileName())
                                .isEqualTo(dsp.kubernetes.agent.PodToken.PROJECTED.getFileName());
                    }
                }
            }
            assertThat(volume).as(name(w) + ": a projected token of audience " + Names.PEER_AUDIENCE + " (a default token would open the API server)")
                    .isNotNull();
            String mounted = null;
            for (JsonNode m : pod.path("containers").get(0).path("volumeMounts")) {
                if (m.path("name").asText().equals(volume)) {
                    mounted = m.path("mountPath").asText();
                }
            }
            assertThat(mounted).as(name(w)).isEqualTo(dsp.kubernetes.agent.PodToken.PROJECTED.getParent().toString());
        }
    }

    /** The rules RBAC gives a ServiceAccount through the bindings deploy/ makes. */
    private static List<JsonNode> rulesOf(String namespace, String serviceAccount) {
        List<JsonNode> rules = new ArrayList<>();
        for (JsonNode b : objects) {
            String kind = b.path("kind").asText();
            if (!kind.equals("ClusterRoleBinding") && !kind.equals("RoleBinding")) {
                continue;
            }
            boolean bound = false;
            for (JsonNode s : b.path("subjects")) {
                bound |= s.path("kind").asText().equals("ServiceAccount") && s.path("name").asText().equals(serviceAccount)
                        && s.path("namespace").asText(b.at("/metadata/namespace").asText()).equals(namespace);
            }
            if (!bound) {
                continue;
            }
            for (JsonNode role : kind("ClusterRole")) {
                if (b.at("/roleRef/kind").asText().equals("ClusterRole") && name(role).equals(b.at("/roleRef/name").asText())) {
                    role.path("rules").forEach(rules::add);
                }
            }
            for (JsonNode role : kind("Role")) {
                if (b.at("/roleRef/kind").asText().equals("Role") && name(role).equals(b.at("/roleRef/name").asText())
                        && role.at("/metadata/namespace").asText().equals(b.at("/metadata/namespace").asText())) {
                    role.path("rules").forEach(rules::add);
                }
            }
        }
        return rules;
    }

    private static boolean grants(List<JsonNode> rules, String group, String resource, String verb) {
        return rules.stream().anyMatch(r -> r.path("apiGroups").toString().contains("\"" + group + "\"")
                && (r.path("resources").toString().contains("\"" + resource + "\"") || r.path("resources").toString().contains("\"*\""))
                && (r.path("verbs").toString().contains("\"" + verb + "\"") || r.path("verbs").toString().contains("\"*\"")));
    }

    @Test
    void theApiMayAskWhoCallsAndWhetherTheyMayAndTheCleanupJobMayStartARun() {
        JsonNode provisioner = kind("Deployment").stream().filter(d -> name(d).equals("k8s-pool-provisioner")).findFirst().orElseThrow();
        List<JsonNode> api = rulesOf(Names.NAMESPACE, pod(provisioner).path("serviceAccountName").asText());
        assertThat(grants(api, "authentication.k8s.io", "tokenreviews", "create")).as("TokenReview").isTrue();
        assertThat(grants(api, "authorization.k8s.io", "subjectaccessreviews", "create")).as("SubjectAccessReview").isTrue();
        List<JsonNode> job = rulesOf(Names.NAMESPACE, pod(kind("CronJob").get(0)).path("serviceAccountName").asText());
        assertThat(grants(job, "dynamicpools.io", "cleanups", "create")).as("the cleanup job may start a run").isTrue();
    }
}
